package hotstuff

import (
	"fmt"

	"github.com/pompe-bft/pompe/internal/wire"
)

// Step processes one message from replica from (authenticated by the
// channel). Malformed or invalid messages are dropped; the error says why,
// for logging, and never means the core is broken.
func (c *Core) Step(now int64, from uint32, m *wire.Message) error {
	c.now = now
	if int(from) >= c.n {
		return fmt.Errorf("hotstuff: message from unknown replica %d", from)
	}
	var err error
	switch body := m.Body.(type) {
	case *wire.Message_Proposal:
		err = c.onProposal(from, body.Proposal)
	case *wire.Message_Vote:
		err = c.onVote(from, body.Vote)
	case *wire.Message_Timeout:
		err = c.onTimeout(from, body.Timeout)
	case *wire.Message_Sync:
		err = c.onSync(body.Sync)
	case *wire.Message_BlockRequest:
		err = c.onBlockRequest(from, body.BlockRequest)
	case *wire.Message_BlockResponse:
		err = c.onBlockResponse(from, body.BlockResponse)
	default:
		return fmt.Errorf("hotstuff: not a consensus message: %T", m.Body)
	}
	c.progress()
	return err
}

// Tick tells the core that time has passed.
func (c *Core) Tick(now int64) {
	c.now = now
	if c.deadline != 0 && now >= c.deadline {
		if c.wantsTimer() {
			c.localTimeout()
		} else {
			c.deadline = 0 // idle: nothing to time out for
		}
	}
	c.retryFetches()
	c.progress()
}

// Poke re-evaluates waiting validations and proposals after the payload
// rules learned something (a batch body arrived, a collect finished).
func (c *Core) Poke(now int64) {
	c.now = now
	c.idleTimeouts = 0 // the rules learned something: their work may be new
	c.progress()
}

// progress runs everything that may have become possible: validations that
// waited for data, votes, the view timer, and a proposal if this replica
// leads the current view.
func (c *Core) progress() {
	c.retryValidation()
	c.armTimer()
	c.maybePropose()
}

// hasWork reports whether something waits for blocks: pending payload at
// the rules, or uncommitted payload on the chain of the highest QC.
func (c *Core) hasWork() bool {
	if c.cfg.Rules.Pending() || c.announce {
		return true
	}
	return c.uncommittedPayload()
}

func (c *Core) uncommittedPayload() bool {
	// Payload that the others may not have committed needs blocks on top
	// even if this replica committed it already: the others commit only when
	// they see a proposal carrying the QC that completes the 2-chain. What
	// they can have committed without the high QC is what the newest block's
	// own QC commits: the highest block x below it whose child on the chain
	// (certified by that QC or an older one) is in view x.view+1. After a
	// failed view that can be several blocks down, not just the parent of
	// the newest: stopping at two blocks left a payload committed only at
	// the next leader, which had nothing to propose, and the others timed out.
	h := c.qcHash(c.highQC)
	shared := false // the blocks from here down are committed at every replica that saw the chain
	var childView uint64
	for i := 0; i < 64; i++ {
		nd, ok := c.blocks[h]
		if !ok {
			return true // unknown: being fetched, keep going
		}
		if i >= 2 && childView == nd.b.View+1 {
			shared = true
		}
		if c.cfg.Rules.Carries(nd.b.Payload) && (!shared || !nd.committed) {
			return true
		}
		if nd.committed && shared || nd.b.Height == 0 {
			return false
		}
		childView = nd.b.View
		h = nd.b.Parent
	}
	return true
}

func (c *Core) qcHash(qc *wire.QuorumCert) Hash {
	h, _ := HashFromBytes(qc.BlockHash)
	return h
}

// armTimer keeps the view timer running while there is work, and off in an
// idle cluster so that it does not spin through views.
func (c *Core) armTimer() {
	if c.deadline != 0 {
		return
	}
	if c.wantsTimer() {
		c.deadline = c.now + c.viewTimeout()
		if c.armedAt == 0 {
			c.armedAt = c.now
		}
	}
}

// maxIdleTimeouts returns how many timeouts a replica sends, in a row and
// with no block arriving in between, when the only reason is work its
// payload rules report: work that no leader turns into a block (for example
// entries left over from before a restart that the cluster already dealt
// with) must not keep view timers running in an idle cluster. 2n timeouts
// give every leader at least one view to pick the work up. New inputs (Poke,
// a new block, a commit) start the count again; a replica that stopped still
// joins the timeouts of f+1 others (addTimeout).
func (c *Core) maxIdleTimeouts() int { return 2 * c.n }

// wantsTimer reports whether the view timer should run.
func (c *Core) wantsTimer() bool {
	if c.announce || c.chainWaiting() {
		return true
	}
	if !c.cfg.Rules.Pending() && c.timedOut < c.view {
		return false
	}
	return c.idleTimeouts < c.maxIdleTimeouts()
}

// chainWaiting reports payload on the chain of the highest QC that this
// replica has not committed: the cluster owes it progress. Unlike hasWork it
// ignores payload this replica already committed: a leader keeps proposing
// one block longer than its followers need to see, and followers must not
// time out a correct leader for that.
func (c *Core) chainWaiting() bool {
	h := c.qcHash(c.highQC)
	for i := 0; i < 64; i++ {
		nd, ok := c.blocks[h]
		if !ok {
			return true // unknown: being fetched
		}
		if nd.committed || nd.b.Height == 0 {
			return false
		}
		if c.cfg.Rules.Carries(nd.b.Payload) {
			return true
		}
		h = nd.b.Parent
	}
	return true
}

// viewTimeout is the current view timeout: the base (baseTimeout) doubled
// for each consecutive failed view, up to ViewTimeoutMaxUs.
func (c *Core) viewTimeout() int64 {
	t := c.baseTimeout()
	for i := 0; i < c.failures && t < c.cfg.ViewTimeoutMaxUs; i++ {
		t *= 2
	}
	return min(t, c.cfg.ViewTimeoutMaxUs)
}

// viewTimeoutFactor: the base timeout is this many times the measured
// view duration, so that the load's own variance does not time views out.
const viewTimeoutFactor = 4

// baseTimeout follows the measured duration of views that succeeded
// (measureView): viewTimeoutFactor times its moving average, within
// [ViewTimeoutMinUs, ViewTimeoutUs]. Before any view was measured it is
// ViewTimeoutUs.
func (c *Core) baseTimeout() int64 {
	if c.viewAvgUs < 0 {
		return c.cfg.ViewTimeoutUs
	}
	return min(max(viewTimeoutFactor*c.viewAvgUs, c.cfg.ViewTimeoutMinUs), c.cfg.ViewTimeoutUs)
}

// measureView records that the current view succeeded (a QC for it
// formed or arrived): its duration, from the moment the view timer was
// armed for it (idle time before work arrived does not count), enters the
// moving average (weight 1/8), and the failure count resets, so that the
// timeout stops being doubled as soon as a bad leader has been passed.
func (c *Core) measureView() {
	c.failures = 0
	if c.armedAt == 0 || c.timedOut >= c.view {
		return
	}
	d := max(c.now-c.armedAt, 0)
	if c.viewAvgUs < 0 {
		c.viewAvgUs = d
	} else {
		c.viewAvgUs += (d - c.viewAvgUs) / 8
	}
	c.armedAt = 0
}

// enterView moves to view v (only forward) and restarts the view timer. It
// reports whether the view changed.
func (c *Core) enterView(v uint64) bool {
	if v <= c.view {
		return false
	}
	c.debug("enter view", "new", v)
	c.view = v
	c.dirty = true
	c.deadline = 0
	c.armedAt = 0
	if c.Leader(v) != c.cfg.ID {
		c.announce = false
	}
	c.armTimer()
	// Forget vote and timeout tallies of views we can no longer use.
	for k := range c.votes {
		if k.view+1 < v {
			delete(c.votes, k)
		}
	}
	for tv := range c.timeouts {
		if tv+1 < v {
			delete(c.timeouts, tv)
		}
	}
	for vv := range c.voted {
		if vv+1 < v {
			delete(c.voted, vv)
		}
	}
	return true
}
