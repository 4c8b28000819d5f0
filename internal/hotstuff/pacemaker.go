package hotstuff

import (
	"errors"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// localTimeout gives up on the current view: stop voting in it, broadcast a
// signed timeout carrying the high QC, and keep re-sending it on later
// expiries until the view changes (messages may be lost).
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
	sig := c.cfg.Signer.Sign(crypto.DomainTimeout, crypto.U64(v))
	t := &wire.Timeout{View: v, Voter: c.cfg.ID, Sig: sig, HighQc: c.highQC}
	c.send(Broadcast, &wire.Message{Body: &wire.Message_Timeout{Timeout: t}})
	if c.lastTC != nil {
		c.send(Broadcast, &wire.Message{Body: &wire.Message_Sync{Sync: &wire.Sync{Tc: c.lastTC}}})
	}
	c.deadline = c.now + c.viewTimeout()
	c.addTimeout(c.cfg.ID, v, sig)
}

func (c *Core) onTimeout(from uint32, t *wire.Timeout) error {
	if t.Voter != from {
		return errors.New("hotstuff: timeout relayed for another replica")
	}
	if t.HighQc != nil && t.HighQc.View > c.highQC.View {
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
	if !c.cfg.Committee.VerifyBytes(from, t.Sig, timeoutBytes(c.cluster, t.View)) {
		return errors.New("hotstuff: bad timeout signature")
	}
	c.addTimeout(from, t.View, t.Sig)
	return nil
}

// addTimeout tallies a verified timeout. f+1 timeouts for a view at or above
// ours mean a correct replica gave up on it: join, so that a TC forms. 2f+1
// form the TC.
func (c *Core) addTimeout(from uint32, view uint64, sig []byte) {
	tally, ok := c.timeouts[view]
	if !ok {
		tally = make(map[uint32][]byte, c.q)
		c.timeouts[view] = tally
	}
	if tally == nil {
		return // TC already formed
	}
	tally[from] = sig
	f := c.cfg.Committee.F()
	if len(tally) >= f+1 && view >= c.view && c.timedOut < view {
		if view > c.view {
			c.enterView(view)
		}
		c.localTimeout()
		return
	}
	if len(tally) < c.q {
		return
	}
	signers, sigs, bad, err := c.combine(timeoutBytes(c.cluster, view), tally)
	if err != nil {
		for _, r := range bad {
			delete(tally, r)
		}
		return
	}
	c.timeouts[view] = nil
	tc := &wire.TimeoutCert{View: view, Signers: signers, Sigs: sigs}
	c.processTC(tc)
	c.send(Broadcast, &wire.Message{Body: &wire.Message_Sync{Sync: &wire.Sync{Tc: tc, HighQc: c.highQC}}})
}

func (c *Core) processTC(tc *wire.TimeoutCert) {
	if c.lastTC == nil || tc.View > c.lastTC.View {
		c.lastTC = tc
		c.dirty = true
		c.viewChanges++
	}
	c.enterView(c.afterTC(tc.View))
}

func (c *Core) onSync(s *wire.Sync) error {
	if s.HighQc != nil && s.HighQc.View > c.highQC.View {
		if err := c.verifyQC(s.HighQc); err != nil {
			return err
		}
		c.processQC(s.HighQc, c.Leader(s.HighQc.View+1))
	}
	if s.Tc != nil && s.Tc.View >= c.view {
		if err := c.verifyTC(s.Tc); err != nil {
			return err
		}
		c.processTC(s.Tc)
	}
	return nil
}

// maybePropose proposes a block if this replica leads the current view,
// holds the certificate that opens it (QC of the previous view, or TC), knows
// the block to extend, and there is work to do.
func (c *Core) maybePropose() {
	v := c.view
	if c.Leader(v) != c.cfg.ID || c.proposedView >= v {
		return
	}
	viaTC := c.highQC.View+1 != v
	if viaTC && (c.lastTC == nil || c.afterTC(c.lastTC.View) != v) {
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
		c.cfg.Logger.Error("built an undecodable block", "replica", c.cfg.ID, "err", err)
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
