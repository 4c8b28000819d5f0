package hotstuff

import (
	"fmt"
	"strings"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// LeaderPolicy selects how leaders are chosen (docs/protocol.md section 3.5).
type LeaderPolicy int

const (
	// LeaderReputation picks leaders among the replicas active in a window
	// of recent committed blocks, skipping recent failures, with a
	// round-robin turn for every replica at regular intervals.
	LeaderReputation LeaderPolicy = iota
	// LeaderRoundRobin rotates through every replica in index order.
	LeaderRoundRobin
	// LeaderFixed keeps Config.FixedLeader as the leader of every view
	// (experiments only: a faulty fixed leader stops the cluster).
	LeaderFixed
)

// ParseLeaderPolicy parses a policy name: reputation, round-robin or fixed.
func ParseLeaderPolicy(s string) (LeaderPolicy, error) {
	switch strings.ToLower(s) {
	case "", "reputation":
		return LeaderReputation, nil
	case "round-robin", "roundrobin":
		return LeaderRoundRobin, nil
	case "fixed":
		return LeaderFixed, nil
	}
	return 0, fmt.Errorf("hotstuff: unknown leader policy %q (want reputation, round-robin or fixed)", s)
}

func (p LeaderPolicy) String() string {
	switch p {
	case LeaderRoundRobin:
		return "round-robin"
	case LeaderFixed:
		return "fixed"
	default:
		return "reputation"
	}
}

// rotationEvery: under LeaderReputation, every rotationEvery-th term is a
// plain round-robin turn over all replicas: an active replica leads at
// least once every rotationEvery*n terms, failed or not. A correct replica
// that fell out of the active set (slow, or kept out of QCs by Byzantine
// leaders) proposes on its turn and is active again.
const rotationEvery = 8

// inactiveTurnEvery: a replica that is not active in the window keeps only
// one rotation turn in inactiveTurnEvery (its turns in rounds of n rotation
// turns whose number is a multiple of inactiveTurnEvery; the other turns go
// to the active replicas). A dead replica's turn costs a view timeout,
// which against views of a few milliseconds is the whole cost of a crashed
// or silent replica; a correct replica that fell out still leads at least
// once every rotationEvery*n*inactiveTurnEvery terms, and once a block it
// proposed is committed it is active again with every turn back.
const inactiveTurnEvery = 4

// maxGapViews bounds the failed views before a view that the leader rule
// looks at (the views between the extended block and the new one).
const maxGapViews = 64

// maxScheduleMemo bounds the schedules remembered by block hash.
const maxScheduleMemo = 256

// schedule is what the leader rule reads from the chain below a block: who
// is active, who failed recently. It is a pure function of the block and
// its ancestors (scheduleAt), remembered only to save recomputation.
type schedule struct {
	eligible []uint32        // active replicas in index order; never empty
	active   []bool          // active[r]: r is in eligible
	failSet  map[uint32]bool // leaders of views that failed in the window
}

func (s *schedule) isFailed(r uint32) bool { return s.failSet[r] }

func (s *schedule) isActive(r uint32) bool { return int(r) < len(s.active) && s.active[r] }

// suspect reports a replica whose turn is likely to fail: inactive in the
// window, or a leader of a view that failed in it.
func (s *schedule) suspect(r uint32) bool { return !s.isActive(r) || s.isFailed(r) }

func newSchedule(eligible []uint32, n int) *schedule {
	s := &schedule{eligible: eligible, active: make([]bool, n)}
	for _, r := range eligible {
		s.active[r] = true
	}
	return s
}

// Leader returns this replica's best estimate of the leader of view: for
// the current view or an earlier one, the leader for a block extending its
// highest certified block (what that leader extends, once this replica holds
// the certificate that opened the view); for the next view, the leader for
// a block extending the proposal it accepted for the current view (in the
// normal case that proposal is certified and extended next). Proposals are
// judged with the leader computed from the block they actually extend
// (LeaderOn); callers that know that block should use LeaderOn.
func (c *Core) Leader(view uint64) uint32 {
	if view > c.view && c.proposalView == view-1 {
		if b := c.blockOrNil(c.proposalHash); b != nil {
			return c.leaderOn(view, b)
		}
	}
	return c.leaderOn(view, c.blockOrNil(c.qcHash(c.highQC)))
}

// LeaderOn returns the leader of view for a block that extends parent (the
// block a proposal of view names as its parent; unknown: round robin).
// Every correct replica that knows parent computes the same answer: it
// reads only parent, its ancestors and their certificates.
func (c *Core) LeaderOn(view uint64, parent Hash) uint32 {
	return c.leaderOn(view, c.Block(parent))
}

func (c *Core) blockOrNil(h Hash) *Block {
	if nd, ok := c.blocks[h]; ok {
		return nd.b
	}
	return nil
}

// leaderOn is the leader rule. Views are grouped in terms of
// LeaderTermViews; a term's leader comes from the schedule of p (the
// extended block): round robin over all replicas, or, under reputation,
// over the active replicas not recently failed (every rotationEvery-th term
// round robin over all).
//
// Views with no block on p's chain failed (a TC moved past them). The
// leaders of the views that failed since the newest block p's chain proves
// committed, and of the views between p and view, are skipped: a failed
// leader loses the rest of its term at once, and a leader that receives
// votes but never forms a QC (a crashed next leader swallows the votes of
// the view before it) is not asked again until the chain commits.
func (c *Core) leaderOn(view uint64, p *Block) uint32 {
	if c.cfg.LeaderPolicy == LeaderFixed {
		return uint32(c.cfg.FixedLeader % c.n)
	}
	s := c.scheduleAt(p)
	if p == nil {
		return c.pick(view, s, nil)
	}
	// Failed view ranges [from, to), newest first: on the chain down to the
	// first pair of blocks in consecutive views, then between p and view.
	type span struct{ from, to uint64 }
	var gaps []span
	if view > p.View+1 {
		gaps = append(gaps, span{p.View + 1, view})
	}
	total := uint64(0)
	for x, w := p, c.parentOf(p); w != nil && x.View != w.View+1 && total < maxGapViews; x, w = w, c.parentOf(w) {
		gaps = append(gaps, span{w.View + 1, x.View})
		total += x.View - w.View - 1
	}
	if len(gaps) == 0 {
		return c.pick(view, s, nil)
	}
	skip := make(map[uint32]bool)
	budget := uint64(maxGapViews)
	for i := len(gaps) - 1; i >= 0; i-- {
		from := gaps[i].from
		if gaps[i].to-from > budget {
			from = gaps[i].to - budget
		}
		for u := from; u < gaps[i].to; u++ {
			skip[c.pick(u, s, skip)] = true
		}
		budget -= gaps[i].to - from
	}
	return c.pick(view, s, skip)
}

// pick returns the leader of view u under schedule s, passing over the
// replicas in skip (and, on reputation terms, the recently failed).
func (c *Core) pick(u uint64, s *schedule, skip map[uint32]bool) uint32 {
	t := u / c.cfg.LeaderTermViews
	list, start := c.all, int(t%uint64(c.n))
	rotation := true
	if c.cfg.LeaderPolicy == LeaderReputation {
		turn := t / rotationEvery // the rotation turn's number
		start = int(turn % uint64(c.n))
		if t%rotationEvery != rotationEvery-1 ||
			(!s.isActive(uint32(start)) && (turn/uint64(c.n))%inactiveTurnEvery != 0) {
			// A reputation term; also the rotation turns an inactive
			// replica does not keep (inactiveTurnEvery).
			list, start = s.eligible, int(t%uint64(len(s.eligible)))
			rotation = false
		}
	}
	for j := range list {
		r := list[(start+j)%len(list)]
		if skip[r] || (!rotation && s.isFailed(r)) {
			continue
		}
		return r
	}
	return list[start]
}

// scheduleAt computes the schedule of the chain ending at p (nil: every
// replica eligible, nothing failed).
//
// The window is the W blocks ending at the newest block that p's own chain
// proves committed: the highest ancestor x of p (p included) with a direct
// child y on the chain in view x.view+1 (y is p, certified by the QC that p
// is extended with, or is certified by its own child's justify), which is
// the 2-chain commit rule. Blocks below a committed block are committed, so
// every correct replica that knows p reads the same committed blocks, no
// matter how much it committed itself.
//
// Active: proposers of the window's blocks and signers of the QCs that
// certify them. Failed: the leaders of views skipped between two blocks of
// the window (computed, to keep this a bounded walk, with the schedule of
// the block before the gap without its own failures).
func (c *Core) scheduleAt(p *Block) *schedule {
	if p == nil || c.cfg.LeaderPolicy != LeaderReputation {
		return c.everyone
	}
	if s, ok := c.schedules[p.Hash]; ok {
		return s
	}
	s := c.computeSchedule(p, true)
	if len(c.schedules) >= maxScheduleMemo {
		clear(c.schedules)
	}
	c.schedules[p.Hash] = s
	return s
}

func (c *Core) computeSchedule(p *Block, withFailures bool) *schedule {
	certChild, window := c.window(p)
	if len(window) == 0 {
		return c.everyone
	}
	active := make([]bool, c.n)
	for i, b := range window {
		active[b.Proposer] = true
		// window[i] is certified by the justify of its child: window[i-1],
		// or for the newest one the certified child above it.
		qc := certChild.Justify
		if i > 0 {
			qc = window[i-1].Justify
		}
		for _, m := range crypto.Bitmap(qc.Signers).Members() {
			if m < c.n {
				active[m] = true
			}
		}
	}
	var eligible []uint32
	for r := range active {
		if active[r] {
			eligible = append(eligible, uint32(r))
		}
	}
	if len(eligible) < c.q {
		// Fewer than a quorum active cannot be a picture of a working
		// cluster (every QC has 2f+1 signers); do not trust it.
		eligible = c.all
	}
	s := newSchedule(eligible, c.n)
	if !withFailures {
		return s
	}
	s.failSet = make(map[uint32]bool)
	for i := 0; i+1 < len(window); i++ {
		x, w := window[i], window[i+1]
		if x.View <= w.View+1 {
			continue
		}
		base := c.computeSchedule(w, false)
		skip := make(map[uint32]bool)
		from := w.View + 1
		if x.View-from > maxGapViews {
			from = x.View - maxGapViews
		}
		for u := from; u < x.View; u++ {
			l := c.pick(u, base, skip)
			skip[l] = true
			s.failSet[l] = true
		}
	}
	// Failures never empty the schedule.
	if len(s.failSet) >= len(s.eligible) {
		s.failSet = nil
	}
	return s
}

// window returns the committed window as seen from p, newest first, and
// the certified child of its newest block. The newest committed block seen
// from p is the highest ancestor x of p (p included) whose child y on p's
// chain is in view x.view+1: y is certified (it is p, which a QC certifies
// whenever p is extended, or an ancestor of p, certified by its child's
// justify), so x is committed by the 2-chain rule. The walk reads only p's
// ancestors; it gives up (nil) after ReputationWindow steps without finding
// a committed block, and stops at genesis.
func (c *Core) window(p *Block) (*Block, []*Block) {
	w := int(c.cfg.ReputationWindow)
	child, cur := p, c.parentOf(p)
	for steps := 0; cur != nil && child.View != cur.View+1; steps++ {
		if steps >= w {
			return nil, nil
		}
		child, cur = cur, c.parentOf(cur)
	}
	var out []*Block
	for len(out) < w && cur != nil && cur.Height > 0 {
		out = append(out, cur)
		cur = c.parentOf(cur)
	}
	return child, out
}

func (c *Core) parentOf(b *Block) *Block {
	if b == nil || b.Height == 0 {
		return nil
	}
	if nd, ok := c.blocks[b.Parent]; ok {
		return nd.b
	}
	return c.Block(b.Parent)
}
