package hotstuff

import (
	"testing"

	"pgregory.net/rapid"
)

// docs/protocol.md section 1 (Consistency, Liveness) and 3.5 (2-chain commit, both
// leader policies, one-view and four-view terms), over random schedules:
// packets delivered in any order, dropped or duplicated, a partition that
// heals, crash-restarts of correct replicas, and up to f Byzantine replicas
// run as Twins (two cores with one key, so they propose and vote twice per
// view). No two correct replicas commit different blocks at one height and
// no correct core reports a violation (both checked by the harness at every
// Ready, as is the no-double-vote rule); once the network heals and every
// message is delivered, new work commits everywhere.
func TestPropertySafetyAndLivenessUnderRandomSchedules(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.SampledFrom([]int{4, 7}).Draw(rt, "n")
		f := (n - 1) / 3
		policy := rapid.SampledFrom([]LeaderPolicy{LeaderRoundRobin, LeaderReputation}).Draw(rt, "policy")
		term := rapid.SampledFrom([]uint64{1, 4}).Draw(rt, "termViews")
		c := newCluster(rt, n, func(cfg *Config) { cfg.LeaderPolicy, cfg.LeaderTermViews = policy, term })
		byz := rapid.IntRange(0, f).Draw(rt, "byzantine")
		for i := 0; i < byz; i++ {
			// Byzantine replicas lead the first terms, where it hurts most.
			id := rapid.IntRange(0, n-1).Draw(rt, "byzantineID")
			if c.nodes[id].twin == nil {
				c.makeTwin(id)
				c.nodes[id].twin.rules.submit(1_000_000 + uint64(id))
			}
		}
		var partition []bool // side of each replica while partitioned
		c.lose = func(p *packet) bool { return partition != nil && partition[p.from] != partition[p.to] }
		item := uint64(0)
		submit := func() {
			item++
			c.submit([]uint64{item})
		}
		submit()
		steps := rapid.IntRange(50, 600).Draw(rt, "steps")
		for s := 0; s < steps; s++ {
			switch action := rapid.IntRange(0, 15).Draw(rt, "action"); {
			case action <= 8 && len(c.queue) > 0: // deliver any packet: reordering
				p := c.pop(rapid.IntRange(0, len(c.queue)-1).Draw(rt, "deliver"))
				if c.nodes[p.to].twin != nil {
					p.twin = rapid.IntRange(0, 2).Draw(rt, "twin")
				}
				c.deliver(p)
			case action == 9 && len(c.queue) > 0:
				c.pop(rapid.IntRange(0, len(c.queue)-1).Draw(rt, "drop"))
			case action == 10 && len(c.queue) > 0:
				c.deliver(c.queue[rapid.IntRange(0, len(c.queue)-1).Draw(rt, "duplicate")])
			case action == 11:
				c.advance(rapid.Int64Range(0, 3*testViewTimeoutUs).Draw(rt, "advanceUs"))
			case action == 12:
				submit()
			case action == 13:
				if partition != nil {
					partition = nil
					break
				}
				partition = make([]bool, n)
				for i := range partition {
					partition[i] = rapid.Bool().Draw(rt, "side")
				}
			case action == 14:
				correct := c.correct()
				r := correct[rapid.IntRange(0, len(correct)-1).Draw(rt, "restart")]
				c.restart(int(r.id), rapid.Bool().Draw(rt, "crash"))
				r.core.Poke(c.now)
				c.collect(r)
			default:
				if w := c.nextWake(); w > c.now {
					c.advance(w - c.now)
				}
			}
		}
		// Heal: nothing is lost any more; new work must commit everywhere.
		partition = nil
		c.lose = nil
		for _, p := range c.queue {
			p.twin = 2
		}
		submit()
		final := item
		if !c.run(600*testViewTimeoutUs, func() bool { return c.allCommitted(final) }) {
			for _, r := range c.allCores() {
				rt.Logf("replica %d (byzantine %v): %s", r.id, r.byzantine, r.core)
			}
			rt.Fatalf("item %d not committed by every correct replica after healing", final)
		}
	})
}
