package hotstuff

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

func (c *Core) onProposal(from uint32, p *wire.Proposal) error {
	if p.Block == nil {
		return errors.New("hotstuff: proposal without block")
	}
	b, err := DecodeBlock(c.cluster, p.Block, p.Payload, c.n)
	if err != nil {
		return err
	}
	if b.Proposer != from {
		return fmt.Errorf("hotstuff: proposal for view %d names proposer %d but comes from %d", b.View, b.Proposer, from)
	}
	if b.View < c.view {
		return nil // stale; the view has moved on
	}
	if parent, known := c.blocks[b.Parent]; known {
		// With the parent unknown the check waits for it (admitProposal).
		if leader := c.leaderOn(b.View, parent.b); leader != from {
			return fmt.Errorf("hotstuff: proposal for view %d from %d, leader is %d", b.View, from, leader)
		}
	}
	if b.Parent != b.JustifyHash() {
		return errors.New("hotstuff: proposal does not extend the block its QC certifies")
	}
	// Cached: the pre-verification stage checks it first (PreVerify).
	if !c.cfg.Committee.VerifyCached(from, p.Sig, crypto.DomainProposal, crypto.U64(b.View), b.Hash[:]) {
		return errors.New("hotstuff: bad proposal signature")
	}
	if err := c.verifyQC(b.Justify); err != nil {
		return err
	}
	if b.Justify.View+1 != b.View {
		// docs/protocol.md section 3.5: a block whose QC is not from the previous view
		// must carry the TC of the previous view, and extend a QC at least
		// as high as every QC in that TC.
		if p.Tc == nil || p.Tc.View+1 != b.View {
			return fmt.Errorf("hotstuff: proposal for view %d on QC of view %d needs the TC of view %d", b.View, b.Justify.View, b.View-1)
		}
		high, err := c.verifyTC(p.Tc)
		if err != nil {
			return err
		}
		if b.Justify.View < high {
			return fmt.Errorf("hotstuff: proposal for view %d extends QC of view %d, below QC %d in its TC", b.View, b.Justify.View, high)
		}
		c.processTC(p.Tc)
	}
	c.processQC(b.Justify, from)
	if b.View != c.view {
		return nil
	}
	c.insertBlock(b, from, true)
	return nil
}

// insertBlock adds a block whose hash is vouched for (by a signed proposal,
// or by a verified QC chain). A block whose parent is unknown waits as an
// orphan while the parent is fetched. proposed marks a block that came in a
// proposal that passed onProposal's checks; it is admitted as the view's
// proposal only if its proposer leads the view and it is the first such
// block of the view, and only such blocks are ever voted for.
func (c *Core) insertBlock(b *Block, hint uint32, proposed bool) {
	if nd, ok := c.blocks[b.Hash]; ok {
		// Known already (fetched, or recovered): the proposal makes it
		// votable if it is admissible.
		if proposed && !nd.proposed && c.admitProposal(b) {
			nd.proposed = true
			if nd.state == vValid {
				c.tryVote(nd)
			}
		}
		return
	}
	if b.Height <= c.committedHeight {
		return // below the committed tip: either committed already or a dead fork
	}
	parent, ok := c.blocks[b.Parent]
	if !ok {
		if c.orphanCount < c.cfg.MaxOrphans {
			for i, o := range c.orphans[b.Parent] {
				if o.b.Hash == b.Hash {
					c.orphans[b.Parent][i].proposed = o.proposed || proposed
					return
				}
			}
			c.orphans[b.Parent] = append(c.orphans[b.Parent], orphan{b: b, proposed: proposed})
			c.orphanCount++
		}
		if b.Justify != nil {
			c.noteBehind(b.Justify.View, c.view)
		}
		c.fetch(b.Parent, hint)
		return
	}
	if b.Height != parent.b.Height+1 || b.View <= parent.b.View {
		c.debug("drop block with bad height or view", "block", b.Hash)
		return
	}
	if proposed && !c.admitProposal(b) {
		// Not stored: a non-leader's or a second proposal of the view costs
		// no memory or disk.
		return
	}
	c.addBlock(&node{b: b, proposed: proposed})
	c.idleTimeouts = 0
	delete(c.fetching, b.Hash)
	putBlock(&c.rd.Writes, b)
	c.waiting = append(c.waiting, b.Hash)
	c.processQC(b.Justify, hint)
	if c.qcHash(c.highQC) == b.Hash {
		c.processQC(c.highQC, hint)
	}
	if kids, ok := c.orphans[b.Hash]; ok {
		delete(c.orphans, b.Hash)
		c.orphanCount -= len(kids)
		for _, k := range kids {
			c.insertBlock(k.b, hint, k.proposed)
		}
	}
}

// admitProposal decides whether b, from a signed proposal whose parent is
// known, is the proposal of its view: its proposer must lead the view, and
// it must be the first such block of the view this replica admits (an
// equivocating leader gets one block per replica, and a flood of conflicting
// proposals costs nothing).
func (c *Core) admitProposal(b *Block) bool {
	if leader := c.LeaderOn(b.View, b.Parent); b.Proposer != leader {
		c.debug("ignoring a proposal from a replica that does not lead the view", "proposer", b.Proposer, "leader", leader, "block", b.Hash)
		return false
	}
	if c.proposalView == b.View && c.proposalHash != b.Hash {
		c.debug("ignoring a second proposal for the view", "proposer", b.Proposer, "block", b.Hash)
		return false
	}
	if b.View < c.proposalView {
		return false
	}
	c.proposalView, c.proposalHash = b.View, b.Hash
	return true
}

// retryValidation validates blocks in chain order: a block is judged only
// once its parent passed (or is committed), and inherits a parent's failure.
func (c *Core) retryValidation() {
	for changed := true; changed; {
		changed = false
		keep := c.waiting[:0]
		for _, h := range c.waiting {
			nd, ok := c.blocks[h]
			if !ok || nd.committed || nd.state == vValid || nd.state == vInvalid {
				continue
			}
			parent, ok := c.blocks[nd.b.Parent]
			if !ok {
				continue
			}
			switch {
			case parent.state == vInvalid && !parent.committed:
				nd.state = vInvalid
				changed = true
				continue
			case parent.state != vValid && !parent.committed:
				keep = append(keep, h)
				continue
			}
			v, err := c.cfg.Rules.Validate(c.now, nd.b, parent.b)
			switch v {
			case Valid:
				nd.state = vValid
				changed = true
				c.tryVote(nd)
			case Invalid:
				nd.state = vInvalid
				c.refused++
				changed = true
				c.cfg.Logger.Warn("refusing invalid block", "block", nd.b.Hash, "view", nd.b.View, "proposer", nd.b.Proposer, "err", err)
			default:
				nd.state = vWaiting
				keep = append(keep, h)
			}
		}
		c.waiting = keep
	}
}

// tryVote votes for a validated block of the current view if the voting
// rule of docs/protocol.md section 3.5 allows: a view above the last voted one, and a QC
// from a view at least the preferred view (lockedQC.View). The third part,
// a QC from the previous view or the TC of the previous view with a QC at
// least as high as every QC in it, is checked when the proposal is taken
// (onProposal): only admitted proposals are voted for.
// Only an admitted proposal of the view's leader is voted for: never a block
// that was only fetched (or recovered from storage), since nothing proves
// its proposer sent it.
func (c *Core) tryVote(nd *node) {
	b := nd.b
	if b.View != c.view || b.View <= c.lastVoted || nd.state != vValid {
		return
	}
	if !nd.proposed || b.Proposer != c.LeaderOn(b.View, b.Parent) {
		return
	}
	if b.Justify.View < c.lockedQC.View {
		return
	}
	c.lastVoted = b.View
	c.dirty = true
	sig := c.cfg.Signer.Sign(crypto.DomainVote, crypto.U64(b.View), b.Hash[:])
	v := &wire.Vote{View: b.View, BlockHash: b.Hash[:], Voter: c.cfg.ID, Sig: sig}
	next := c.leaderOn(b.View+1, b) // the next block extends b
	if c.votesToAll(b) {
		c.send(Broadcast, &wire.Message{Body: &wire.Message_Vote{Vote: v}})
		c.addVote(v)
		return
	}
	if next == c.cfg.ID {
		c.addVote(v)
		return
	}
	c.send(int(next), &wire.Message{Body: &wire.Message_Vote{Vote: v}})
}

// votesToAll reports whether the votes for b go to every replica instead
// of only the next leader: under the reputation policy, when the next
// leader or b's proposer is suspect (inactive or failed in the window). Every
// correct replica then forms b's QC itself, so
//   - a dead next leader costs one view (its own) and one base timeout,
//     instead of also swallowing the votes of b's view (two failed views, the
//     second with a doubled timeout, and a correct proposer blamed for it);
//   - a replica on its rotation turn cannot be framed by the next leader
//     withholding the QC of its block, which would keep it out of the active
//     set.
//
// It reads only b, its ancestors and their QCs, so the receiver of a vote
// computes the same answer (onVote). Extra cost: n² vote messages and a QC
// formed at every replica, only in these views.
func (c *Core) votesToAll(b *Block) bool {
	if c.cfg.LeaderPolicy != LeaderReputation {
		return false
	}
	if c.scheduleAt(b).suspect(c.leaderOn(b.View+1, b)) {
		return true
	}
	p := c.parentOf(b)
	return p != nil && c.scheduleAt(p).suspect(b.Proposer)
}

func (c *Core) onVote(from uint32, v *wire.Vote) error {
	if v.Voter != from {
		return errors.New("hotstuff: vote relayed for another replica")
	}
	if h, err := HashFromBytes(v.BlockHash); err == nil {
		if b := c.blockOrNil(h); b != nil && c.leaderOn(v.View+1, b) != c.cfg.ID && !c.votesToAll(b) {
			return nil // the block is known: votes for it go to another leader
		}
		// An unknown block: tally (bounded per voter and view); the QC,
		// once formed, is useful whoever leads next.
	}
	if v.View+1 < c.view {
		return nil // QC would be useless now
	}
	if v.View > c.view+maxViewsAhead {
		return fmt.Errorf("hotstuff: vote for view %d too far ahead of %d", v.View, c.view)
	}
	if _, err := HashFromBytes(v.BlockHash); err != nil {
		return err
	}
	c.addVote(v)
	return nil
}

// addVote tallies a vote; signatures are checked together, as a batch, once
// a quorum is present.
func (c *Core) addVote(v *wire.Vote) {
	h, _ := HashFromBytes(v.BlockHash)
	k := voteKey{view: v.View, hash: h}
	// A voter is counted for at most two blocks of a view (a correct one
	// votes once; an equivocation is tallied but cannot open more), so
	// votes for invented blocks cannot grow memory.
	if _, known := c.votes[k][v.Voter]; !known {
		perVoter, ok := c.voted[v.View]
		if !ok {
			perVoter = make([]uint8, c.n)
			c.voted[v.View] = perVoter
		}
		if perVoter[v.Voter] >= maxVotesPerVoter {
			return
		}
		perVoter[v.Voter]++
	}
	tally, ok := c.votes[k]
	if !ok {
		tally = make(map[uint32][]byte, c.q)
		c.votes[k] = tally
	}
	if tally == nil {
		return // QC already formed
	}
	tally[v.Voter] = v.Sig
	if len(tally) < c.q {
		return
	}
	msg := voteBytes(c.cluster, v.View, v.BlockHash)
	signers, sigs, bad, err := c.combine(msg, tally)
	if err != nil {
		for _, r := range bad {
			delete(tally, r)
		}
		c.cfg.Logger.Warn("dropping bad votes", "view", v.View, "voters", bad)
		return
	}
	c.votes[k] = nil
	qc := &wire.QuorumCert{View: v.View, BlockHash: h[:], Signers: signers, Sigs: sigs}
	c.processQC(qc, v.Voter)
}

// processQC applies a verified QC on b2: it may raise the high QC, move to
// the next view, raise the preferred view to that of b2's parent b1 (a block
// whose child is certified), and commit b1 when b2 is its direct child in
// the next view (the 2-chain commit of DiemBFT v4 / Jolteon).
func (c *Core) processQC(qc *wire.QuorumCert, hint uint32) {
	if qc.View > c.highQC.View {
		c.highQC = qc
		c.dirty = true
	}
	from := c.view
	if qc.View > 0 && qc.View >= c.view {
		c.measureView()
		if c.enterView(qc.View+1) && qc.View > from {
			c.noteViewChange(from, qc.View+1, ViewSkipped)
		}
	}
	h2 := c.qcHash(qc)
	n2, ok := c.blocks[h2]
	if !ok {
		if qc.View > 0 {
			c.noteBehind(qc.View, from)
			c.fetch(h2, hint)
		}
		return
	}
	b2 := n2.b
	if b2.Justify.View > c.lockedQC.View {
		c.lockedQC = b2.Justify
		c.dirty = true
	}
	n1, ok := c.blocks[b2.Parent]
	if !ok || n1.committed {
		return
	}
	b1 := n1.b
	if b2.View == b1.View+1 && b2.JustifyHash() == b1.Hash {
		c.commit(b1)
	}
}

// commit commits b and every uncommitted ancestor, oldest first.
func (c *Core) commit(b *Block) {
	if n, ok := c.blocks[b.Hash]; ok && n.committed {
		return
	}
	var chain []*Block
	for cur := b; ; {
		if cur.Height <= c.committedHeight {
			if cur.Hash != c.committedHash {
				c.rd.Violation = fmt.Errorf("hotstuff: block %s at height %d conflicts with committed %s", cur.Hash, cur.Height, c.committedHash)
				c.cfg.Logger.Error("safety violation", "err", c.rd.Violation)
			}
			break
		}
		chain = append(chain, cur)
		nd, ok := c.blocks[cur.Parent]
		if !ok {
			c.fetch(cur.Parent, cur.Proposer)
			return
		}
		cur = nd.b
	}
	if c.rd.Violation != nil {
		return
	}
	for i := len(chain) - 1; i >= 0; i-- {
		cb := chain[i]
		c.blocks[cb.Hash].committed = true
		c.committedHeight, c.committedHash = cb.Height, cb.Hash
		c.rd.Writes.Put(committedKey(cb.Height), append([]byte(nil), cb.Hash[:]...))
		c.rd.Committed = append(c.rd.Committed, cb)
		if c.cfg.Rules.Carries(cb.Payload) && c.Leader(c.view) == c.cfg.ID {
			// The QC that committed it may exist only here (a leader forms it
			// from votes): one more proposal must carry it to the others.
			c.announce = true
		}
		c.cfg.Rules.Committed(cb)
	}
	c.rd.Writes.Put(keyCursor, wire.Marshal(&wire.CommitCursor{Height: c.committedHeight, Hash: c.committedHash[:]}))
	c.idleTimeouts = 0
	c.prune()
}

// addBlock puts nd in memory and in the height index. A block below the
// heights pruning has already cleared (a late fork block whose parent is
// still in memory) makes the next prune visit its height again.
func (c *Core) addBlock(nd *node) {
	h, ht := nd.b.Hash, nd.b.Height
	if _, dup := c.blocks[h]; !dup {
		c.atHeight[ht] = append(c.atHeight[ht], h)
	}
	c.blocks[h] = nd
	if ht < c.memLow {
		c.memLow = ht
	}
	if ht <= c.forkChecked && ht > 0 {
		c.forkChecked = ht - 1
	}
}

// eachHeight calls f for every indexed height in [from, to), walking the
// range or the index, whichever is shorter (after a restart the first range
// can span the whole chain). f may delete its height from the index.
func (c *Core) eachHeight(from, to uint64, f func(ht uint64)) {
	if from >= to {
		return
	}
	if to-from <= uint64(len(c.atHeight)) {
		for ht := from; ht < to; ht++ {
			if _, ok := c.atHeight[ht]; ok {
				f(ht)
			}
		}
		return
	}
	for ht := range c.atHeight {
		if ht >= from && ht < to {
			f(ht)
		}
	}
}

// prune forgets in memory what can no longer matter (blocks far below the
// committed tip, forks that lost) and deletes storage beyond retention.
func (c *Core) prune() {
	low := uint64(0)
	if c.committedHeight > c.cfg.MemoryBlocks {
		low = c.committedHeight - c.cfg.MemoryBlocks
	}
	// Everything below low goes; above it, up to the committed height,
	// every block not committed (a fork that lost). Only heights that may
	// hold such blocks are visited (see addBlock).
	c.eachHeight(c.memLow, low, func(ht uint64) {
		for _, h := range c.atHeight[ht] {
			delete(c.blocks, h)
		}
		delete(c.atHeight, ht)
	})
	c.memLow = max(c.memLow, low)
	c.eachHeight(max(c.forkChecked+1, c.memLow), c.committedHeight+1, func(ht uint64) {
		hs := c.atHeight[ht]
		keep := hs[:0]
		for _, h := range hs {
			if nd := c.blocks[h]; nd != nil && (nd.committed || nd.b == c.genesis) {
				keep = append(keep, h)
			} else {
				delete(c.blocks, h)
			}
		}
		if len(keep) == 0 {
			delete(c.atHeight, ht)
		} else {
			c.atHeight[ht] = keep
		}
	})
	c.forkChecked = max(c.forkChecked, c.committedHeight)
	if c.cfg.RetentionBlocks == 0 || c.committedHeight <= c.cfg.RetentionBlocks {
		return
	}
	below := c.committedHeight - c.cfg.RetentionBlocks
	if below <= c.prunedTo {
		return
	}
	start, end := blockKey(c.prunedTo, Hash{}), blockKey(below, Hash{})
	_ = c.store.Scan(start, end, func(k, _ []byte) bool {
		var h Hash
		copy(h[:], k[9:])
		c.rd.Writes.Delete(blockIdxKey(h))
		return true
	})
	// Blocks written in this very Ready are not in the store yet.
	c.eachHeight(c.prunedTo, below, func(ht uint64) {
		for _, h := range c.atHeight[ht] {
			c.rd.Writes.Delete(blockIdxKey(h))
		}
	})
	for _, w := range c.rd.Writes.Ops {
		if w.Kind == storage.OpPut && len(w.Key) == 41 && w.Key[0] == prefixBlock {
			if ht := binary.BigEndian.Uint64(w.Key[1:9]); ht < below && ht >= c.prunedTo {
				c.rd.Writes.Delete(blockIdxKey(Hash(w.Key[9:])))
			}
		}
	}
	c.rd.Writes.DeleteRange(start, end)
	c.rd.Writes.DeleteRange(committedKey(c.prunedTo), committedKey(below))
	c.prunedTo = below
}
