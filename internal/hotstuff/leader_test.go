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
// others for every view, for every block they all know.
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
	compared := 0
	for h, nd := range c.nodes[0].core.blocks {
		for _, i := range []int{1, 2, 3} {
			if c.nodes[i].core.Block(h) == nil {
				continue
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
	if compared < 100 {
		t.Fatalf("only %d leader computations compared", compared)
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
	for v := top.View + 1; v <= top.View+4*rotationEvery; v++ {
		if l := core.leaderOn(v, top); l == 2 && (v/core.cfg.LeaderTermViews)%rotationEvery != rotationEvery-1 {
			t.Fatalf("silent replica 2 leads view %d, not a rotation turn", v)
		}
	}
}

// Issue 13 item 2, over random chains: f Byzantine replicas (0..f-1) that
// propose wherever they like and pick which 2f+1 votes their QCs carry
// cannot keep the correct replicas out of the schedule: every QC has f+1
// correct signers, so at least f+1 correct replicas are eligible, the
// schedule never shrinks below a quorum, and every replica, active or not,
// leads at least once in any rotationEvery*n consecutive terms.
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
		start := parent.View + 1
		span := uint64(rotationEvery*n) * core.cfg.LeaderTermViews
		led := make([]bool, n)
		for v := start; v < start+span; v++ {
			led[core.pick(v, s, nil)] = true
		}
		for r, ok := range led {
			if !ok {
				rt.Fatalf("replica %d never leads in %d views from %d (eligible %v)", r, span, start, s.eligible)
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
