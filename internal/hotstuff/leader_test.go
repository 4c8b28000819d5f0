package hotstuff

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

func reputation(term uint64) clusterOption {
	return func(cfg *Config) { cfg.LeaderPolicy, cfg.LeaderTermViews = LeaderReputation, term }
}

// docs/protocol.md section 3.5: "Leaders are chosen by a rule that every correct replica
// computes from committed state alone". A replica that was cut off (it
// committed less, fetched the chain later) and a restarted one (nothing
// remembered, blocks read back from storage) compute the same leader as the
// others for every view, and the same vote routing (votesToAll), for every
// block they all know.
func TestReputationLeaderDependsOnlyOnTheChain(t *testing.T) {
	c := newCluster(t, 4, reputation(1))
	c.lose = func(p *packet) bool { return p.to == 3 || p.from == 3 }
	for item := uint64(1); item <= 20; item++ {
		c.submit([]uint64{item}, 0, 1, 2)
		if !c.run(40*testViewTimeoutUs, func() bool { return c.nodes[0].rules.committedItem(item) }) {
			t.Fatalf("item %d not committed by the three connected replicas", item)
		}
	}
	c.lose = nil
	c.submit([]uint64{21})
	if !c.run(100*testViewTimeoutUs, func() bool { return c.allCommitted(21) }) {
		t.Fatalf("replica 3 did not catch up: %s", c.nodes[3].core)
	}
	c.restart(1, false)
	compared, toAll := 0, 0
	for h, nd := range c.nodes[0].core.blocks {
		for _, i := range []int{1, 2, 3} {
			if c.nodes[i].core.Block(h) == nil {
				continue
			}
			// Where the votes for the block go: the receiver of a vote must
			// reach the same answer as its sender (onVote).
			want, got := c.nodes[0].core.votesToAll(nd.b), c.nodes[i].core.votesToAll(nd.b)
			if got != want {
				t.Fatalf("votes for block %s (view %d) to all: replica %d says %v, replica 0 says %v", h, nd.b.View, i, got, want)
			}
			if want {
				toAll++
			}
			for v := nd.b.View + 1; v <= nd.b.View+12; v++ {
				want := c.nodes[0].core.LeaderOn(v, h)
				if got := c.nodes[i].core.LeaderOn(v, h); got != want {
					t.Fatalf("leader of view %d on block %s (view %d): replica %d says %d, replica 0 says %d",
						v, h, nd.b.View, i, got, want)
				}
				compared++
			}
		}
	}
	if compared < 100 || toAll == 0 {
		t.Fatalf("only %d leader computations compared, %d blocks whose votes go to all", compared, toAll)
	}
}

// Issue 13 item 2: a replica that stops proposing and voting soon stops
// being picked, except for its round-robin turn every rotationEvery terms,
// so it costs far fewer view changes than under round robin.
func TestReputationSkipsASilentReplica(t *testing.T) {
	viewChanges := func(opt clusterOption) (int, *cluster) {
		c := newCluster(t, 4, opt)
		c.nodes[2].down = true
		c.lose = func(p *packet) bool { return p.to == 2 || p.from == 2 }
		for item := uint64(1); item <= 60; item++ {
			c.submit([]uint64{item}, 0, 1, 3)
			if !c.run(100*testViewTimeoutUs, func() bool { return c.nodes[0].rules.committedItem(item) }) {
				t.Fatalf("item %d not committed: %s", item, c.nodes[0].core)
			}
		}
		return c.nodes[0].core.ViewChanges(), c
	}
	rep, c := viewChanges(reputation(1))
	rr, _ := viewChanges(func(cfg *Config) { cfg.LeaderPolicy, cfg.LeaderTermViews = LeaderRoundRobin, 1 })
	if rep*2 > rr {
		t.Fatalf("reputation: %d view changes, round robin: %d; want at most half", rep, rr)
	}
	core := c.nodes[0].core
	top := core.blockOrNil(core.qcHash(core.highQC))
	s := core.scheduleAt(top)
	for _, r := range s.eligible {
		if r == 2 {
			t.Fatalf("silent replica 2 still eligible: %v", s.eligible)
		}
	}
	// An inactive replica keeps one rotation turn in inactiveTurnEvery:
	// once in rotationEvery*n*inactiveTurnEvery terms, not inactiveTurnEvery
	// times.
	span := uint64(rotationEvery*c.n*inactiveTurnEvery) * core.cfg.LeaderTermViews
	turns := 0
	for v := top.View + 1; v <= top.View+span; v++ {
		l := core.pick(v, s, nil) // the schedule alone: no views skipped
		if l != 2 {
			continue
		}
		turns++
		if (v/core.cfg.LeaderTermViews)%rotationEvery != rotationEvery-1 {
			t.Fatalf("silent replica 2 leads view %d, not a rotation turn", v)
		}
	}
	if turns != 1 {
		t.Fatalf("silent replica 2 leads %d views in %d, want exactly 1 (one rotation turn in %d)", turns, span, inactiveTurnEvery)
	}
}

// A dead replica's turn costs one view, its own: the votes of the view
// before it go to every replica (votesToAll), so the QC forms without the
// dead next leader, nobody but the dead replica is blamed, and the next
// leader after the timeout has the payload to propose (uncommittedPayload
// looks below the failed view). Every gap in the committed chain is one
// view, led by the dead replica.
func TestDeadReplicaCostsOneViewPerTurn(t *testing.T) {
	c := newCluster(t, 4, reputation(1))
	c.nodes[2].down = true
	c.lose = func(p *packet) bool { return p.to == 2 || p.from == 2 }
	const items = 150 // about 450 views: three of the dead replica's turns
	for item := uint64(1); item <= items; item++ {
		c.submit([]uint64{item}, 0, 1, 3)
		if !c.run(100*testViewTimeoutUs, func() bool { return c.nodes[0].rules.committedItem(item) }) {
			t.Fatalf("item %d not committed: %s", item, c.nodes[0].core)
		}
	}
	core := c.nodes[0].core
	chain := c.nodes[0].committed
	gaps := 0
	for i := 1; i < len(chain); i++ {
		prev, b := chain[i-1], chain[i]
		if b.Height < core.cfg.ReputationWindow || b.View == prev.View+1 {
			continue // before the window knows that replica 2 is dead
		}
		gaps++
		if b.View != prev.View+2 {
			t.Fatalf("views %d..%d failed (blocks of views %d and %d), want one view per dead turn", prev.View+1, b.View-1, prev.View, b.View)
		}
		if l := core.leaderOn(prev.View+1, prev); l != 2 {
			t.Fatalf("view %d failed, led by correct replica %d", prev.View+1, l)
		}
	}
	if gaps < 2 {
		t.Fatalf("only %d of the dead replica's turns in %d committed blocks", gaps, len(chain))
	}
}

// The votes of a block go to every replica when its proposer or the next
// leader is suspect in the window (inactive or failed), and only to the
// next leader otherwise.
func TestVotesGoToAllAroundASuspectReplica(t *testing.T) {
	c := newCluster(t, 4, reputation(1))
	core := c.nodes[0].core
	parent := c.genesis()
	add := func(view uint64, proposer uint32) *Block {
		signers := crypto.NewBitmap(4)
		for _, r := range []int{0, 1, 3} {
			signers.Set(r)
		}
		qc := &wire.QuorumCert{View: parent.View, BlockHash: parent.Hash[:], Signers: signers}
		h := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("votes-to-all"), view))
		b := &Block{Hash: h, View: view, Height: parent.Height + 1, Parent: parent.Hash, Justify: qc, Proposer: proposer}
		core.blocks[b.Hash] = &node{b: b}
		parent = b
		return b
	}
	// A chain of consecutive views in which replica 2 neither proposes
	// nor signs: it is inactive.
	view := uint64(0)
	for len(core.blocks) < int(2*core.cfg.ReputationWindow) {
		view++
		add(view, []uint32{0, 1, 3}[view%3])
	}
	if core.scheduleAt(parent).isActive(2) {
		t.Fatalf("replica 2 active in %v", core.scheduleAt(parent).eligible)
	}
	// Find a view led by replica 2 (its kept rotation turn) and one
	// where neither the leader nor the next one is replica 2.
	var turn, plain uint64
	for v := view + 1; turn == 0 || plain == 0; v++ {
		switch l, next := core.leaderOn(v, parent), core.leaderOn(v+1, parent); {
		case l == 2 && turn == 0:
			turn = v
		case l != 2 && next != 2 && plain == 0:
			plain = v
		}
	}
	cases := []struct {
		name     string
		view     uint64
		proposer uint32
		want     bool
	}{
		{"an active proposer before an active leader", plain, core.leaderOn(plain, parent), false},
		{"an active proposer before the inactive replica's turn", turn - 1, core.leaderOn(turn-1, parent), true},
		{"the inactive replica on its turn", turn, 2, true},
	}
	base := parent
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parent = base
			b := add(tc.view, tc.proposer)
			if got := core.votesToAll(b); got != tc.want {
				t.Fatalf("votesToAll(block of view %d by %d, next leader %d) = %v, want %v",
					b.View, b.Proposer, core.leaderOn(b.View+1, b), got, tc.want)
			}
		})
	}
}

// Issue 13 item 2, over random chains: f Byzantine replicas (0..f-1) that
// propose wherever they like and pick which 2f+1 votes their QCs carry
// cannot keep the correct replicas out of the schedule: every QC has f+1
// correct signers, so at least f+1 correct replicas are eligible, the
// schedule never shrinks below a quorum, every active replica leads at
// least once in any rotationEvery*n consecutive terms and every replica,
// active or not, in any rotationEvery*n*inactiveTurnEvery terms.
func TestPropertyReputationKeepsCorrectReplicas(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.SampledFrom([]int{4, 7}).Draw(rt, "n")
		f := (n - 1) / 3
		c := newCluster(rt, n, reputation(rapid.SampledFrom([]uint64{1, 2}).Draw(rt, "term")))
		core := c.nodes[0].core
		q := 2*f + 1
		parent := c.genesis()
		view := uint64(0)
		length := rapid.IntRange(1, 3*int(core.cfg.ReputationWindow)).Draw(rt, "length")
		for i := 0; i < length; i++ {
			// A QC certifying parent: any 2f+1 signers, at least f+1 correct.
			signers := crypto.NewBitmap(n)
			perm := rapid.Permutation(seq(n)).Draw(rt, "signers")
			for _, s := range perm[:q] {
				signers.Set(s)
			}
			qc := &wire.QuorumCert{View: parent.View, BlockHash: parent.Hash[:], Signers: signers}
			view += uint64(rapid.IntRange(1, 3).Draw(rt, "viewStep"))
			proposer := uint32(rapid.IntRange(0, n-1).Draw(rt, "proposer"))
			h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
			b := &Block{Hash: h, View: view, Height: parent.Height + 1, Parent: parent.Hash, Justify: qc, Proposer: proposer}
			core.blocks[b.Hash] = &node{b: b}
			parent = b
		}
		s := core.scheduleAt(parent)
		if len(s.eligible) < q {
			rt.Fatalf("eligible %v, fewer than a quorum", s.eligible)
		}
		correct := 0
		for _, r := range s.eligible {
			if int(r) >= f {
				correct++
			}
		}
		if correct < f+1 {
			rt.Fatalf("eligible %v holds %d correct replicas, want at least f+1 = %d", s.eligible, correct, f+1)
		}
		if len(s.failSet) >= len(s.eligible) {
			rt.Fatalf("failures %v cover the whole schedule %v", s.failSet, s.eligible)
		}
		// Every active replica leads in any rotationEvery*n terms, every
		// replica in any rotationEvery*n*inactiveTurnEvery terms.
		start := parent.View + 1
		span := uint64(rotationEvery*n) * core.cfg.LeaderTermViews
		first := make([]uint64, n) // views after start until r first leads (0: never)
		for v := start; v < start+span*inactiveTurnEvery; v++ {
			if r := core.pick(v, s, nil); first[r] == 0 {
				first[r] = v - start + 1
			}
		}
		for r, after := range first {
			switch {
			case after == 0:
				rt.Fatalf("replica %d never leads in %d views from %d (eligible %v)", r, span*inactiveTurnEvery, start, s.eligible)
			case s.isActive(uint32(r)) && after > span:
				rt.Fatalf("active replica %d first leads %d views after %d, want within %d (eligible %v)", r, after, start, span, s.eligible)
			}
		}
	})
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
