package hotstuff

import (
	"errors"
	"fmt"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// canTimeout reports whether this replica may sign a timeout for view:
// only if it holds the QC of view-1 (its high QC) or the TC of view-1
// (docs/protocol.md section 3.5). A timeout thus always comes from a replica that was
// legitimately in the view, and the high QC it reports is at least as
// recent as what let it in.
func (c *Core) canTimeout(view uint64) bool {
	return c.highQC.View+1 == view || (c.lastTC != nil && c.lastTC.View+1 == view)
}

// localTimeout gives up on the current view: stop voting in it, broadcast a
// signed timeout carrying the high QC (and the TC that opened the view, when
// the QC did not), and keep re-sending it on later expiries until the view
// changes (messages may be lost).
func (c *Core) localTimeout() {
	v := c.view
	if !c.announce && !c.chainWaiting() {
		c.idleTimeouts++
	}
	if c.timedOut < v {
		c.timedOut = v
		c.failures++
		if c.lastVoted < v {
			c.lastVoted = v
		}
		c.dirty = true
	}
	c.deadline = c.now + c.viewTimeout()
	if !c.canTimeout(v) {
		// Cannot happen to a view entered through a certificate; a view
		// entered any other way waits for one (syncs carry them).
		c.debug("not signing a timeout: no QC or TC of the previous view", "high qc", c.highQC.View)
		return
	}
	sig := c.cfg.Signer.Sign(crypto.DomainTimeout, crypto.U64(v), crypto.U64(c.highQC.View))
	t := &wire.Timeout{View: v, Voter: c.cfg.ID, Sig: sig, HighQc: c.highQC}
	if c.highQC.View+1 != v {
		t.Tc = c.lastTC
	}
	c.send(Broadcast, &wire.Message{Body: &wire.Message_Timeout{Timeout: t}})
	c.addTimeout(c.cfg.ID, v, sig, c.highQC.View)
}

func (c *Core) onTimeout(from uint32, t *wire.Timeout) error {
	if t.Voter != from {
		return errors.New("hotstuff: timeout relayed for another replica")
	}
	if t.HighQc == nil {
		return errors.New("hotstuff: timeout without high QC")
	}
	if t.Tc != nil && t.Tc.View >= c.view {
		if _, err := c.verifyTC(t.Tc); err != nil {
			return err
		}
		c.processTC(t.Tc)
	}
	if t.HighQc.View > c.highQC.View {
		if err := c.verifyQC(t.HighQc); err != nil {
			return err
		}
		c.processQC(t.HighQc, from)
	}
	if t.View < c.view {
		// The sender is behind: hand it what moves it forward.
		c.send(int(from), &wire.Message{Body: &wire.Message_Sync{Sync: &wire.Sync{HighQc: c.highQC, Tc: c.lastTC}}})
		return nil
	}
	if t.View > c.view+maxViewsAhead {
		// Far ahead: this replica lags, or the sender lies. A lagging
		// replica catches up through the Sync its own timeouts provoke.
		c.debug("ignoring a timeout far ahead", "from", from, "timeout view", t.View)
		return nil
	}
	if t.HighQc.View >= t.View {
		return fmt.Errorf("hotstuff: timeout for view %d reports a QC of view %d", t.View, t.HighQc.View)
	}
	// The reported QC view goes into the TC, where it bounds what the next
	// leader may extend: it must be a real QC, or a Byzantine replica could
	// report a view no block reaches and make the TC useless.
	if err := c.verifyQC(t.HighQc); err != nil {
		return err
	}
	if !c.cfg.Committee.VerifyBytes(from, t.Sig, timeoutBytes(c.cluster, t.View, t.HighQc.View)) {
		return errors.New("hotstuff: bad timeout signature")
	}
	c.addTimeout(from, t.View, t.Sig, t.HighQc.View)
	return nil
}

// timeoutPart is one verified timeout toward a TC.
type timeoutPart struct {
	sig        []byte
	highQCView uint64
}

// addTimeout tallies a verified timeout. f+1 timeouts for a view at or above
// ours mean a correct replica gave up on it: join (if this replica may sign
// a timeout for it), so that a TC forms. 2f+1 form the TC. A replica's later
// timeout for the view replaces its earlier one (its high QC may have grown).
func (c *Core) addTimeout(from uint32, view uint64, sig []byte, highQCView uint64) {
	tally, ok := c.timeouts[view]
	if !ok {
		tally = make(map[uint32]timeoutPart, c.q)
		c.timeouts[view] = tally
	}
	if tally == nil {
		return // TC already formed
	}
	tally[from] = timeoutPart{sig: sig, highQCView: highQCView}
	f := c.cfg.Committee.F()
	if len(tally) >= f+1 && view >= c.view && c.timedOut < view && from != c.cfg.ID {
		if from := c.view; view > c.view && c.canTimeout(view) && c.enterView(view) {
			c.noteViewChange(from, view, ViewJoinedTimeouts)
		}
		if view == c.view {
			c.localTimeout()
			return
		}
	}
	if len(tally) < c.q {
		return
	}
	// Every part was verified on arrival (or signed here).
	tc := &wire.TimeoutCert{View: view, Signers: crypto.NewBitmap(c.n)}
	for i := 0; i < c.n; i++ {
		if p, ok := tally[uint32(i)]; ok {
			crypto.Bitmap(tc.Signers).Set(i)
			tc.Sigs = append(tc.Sigs, p.sig)
			tc.HighQcViews = append(tc.HighQcViews, p.highQCView)
		}
	}
	c.timeouts[view] = nil
	c.processTC(tc)
	c.send(Broadcast, &wire.Message{Body: &wire.Message_Sync{Sync: &wire.Sync{Tc: tc, HighQc: c.highQC}}})
}

// processTC applies a verified TC: view v+1 opens.
func (c *Core) processTC(tc *wire.TimeoutCert) {
	if c.lastTC == nil || tc.View > c.lastTC.View {
		c.lastTC = tc
		c.dirty = true
		c.viewChanges++
	}
	if from := c.view; c.enterView(tc.View + 1) {
		c.noteViewChange(from, tc.View+1, ViewTimedOut)
	}
}

func (c *Core) onSync(s *wire.Sync) error {
	if s.HighQc != nil && s.HighQc.View > c.highQC.View {
		if err := c.verifyQC(s.HighQc); err != nil {
			return err
		}
		c.processQC(s.HighQc, c.Leader(s.HighQc.View+1))
	}
	if s.Tc != nil && s.Tc.View >= c.view {
		if _, err := c.verifyTC(s.Tc); err != nil {
			return err
		}
		c.processTC(s.Tc)
	}
	return nil
}

// maybePropose proposes a block if this replica leads the current view,
// holds the certificate that opens it (QC of the previous view, or a TC of
// the previous view and a QC at least as high as every QC the TC lists),
// knows the block to extend, and there is work to do.
func (c *Core) maybePropose() {
	v := c.view
	// The leader rule is evaluated on the block this replica would extend.
	if c.proposedView >= v || c.leaderOn(v, c.blockOrNil(c.qcHash(c.highQC))) != c.cfg.ID {
		return
	}
	viaTC := c.highQC.View+1 != v
	if viaTC && (c.lastTC == nil || c.lastTC.View+1 != v || c.highQC.View < tcHighQCView(c.lastTC)) {
		return
	}
	ph := c.qcHash(c.highQC)
	parent, ok := c.blocks[ph]
	if !ok {
		c.fetch(ph, c.Leader(c.highQC.View))
		return
	}
	if !c.hasWork() {
		return
	}
	force := c.uncommittedPayload()
	payload, ok := c.cfg.Rules.Build(c.now, v, parent.b, force)
	if !ok {
		return
	}
	m := &wire.Block{
		View:          v,
		Height:        parent.b.Height + 1,
		Parent:        ph[:],
		Justify:       c.highQC,
		Proposer:      c.cfg.ID,
		PayloadDigest: PayloadDigest(payload),
	}
	b, err := DecodeBlock(c.cluster, m, payload, c.n)
	if err != nil {
		c.cfg.Logger.Error("built an undecodable block", "err", err)
		return
	}
	c.proposedView = v
	c.announce = false
	p := &wire.Proposal{Block: m, Payload: payload, Sig: c.cfg.Signer.Sign(crypto.DomainProposal, crypto.U64(v), b.Hash[:])}
	if viaTC {
		p.Tc = c.lastTC
	}
	c.debug("propose", "height", b.Height, "block", b.Hash)
	c.send(Broadcast, &wire.Message{Body: &wire.Message_Proposal{Proposal: p}})
	c.insertBlock(b, c.cfg.ID, true)
	c.retryValidation()
	c.cfg.Rules.Proposed(b)
}
