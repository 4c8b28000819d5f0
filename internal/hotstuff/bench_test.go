package hotstuff

import "testing"

// BenchmarkCommitRound measures the block commit path of n=4: one leader
// proposal, its verification and validation at every replica, the votes, the
// QC and the commit, per block. Every replica's Ready is synced to its Mem
// store and every message is encoded and decoded, as on a real network.
func BenchmarkCommitRound(b *testing.B) {
	c := newCluster(b, 4)
	items := make([]uint64, b.N+8)
	for i := range items {
		items[i] = uint64(i + 1)
	}
	for _, r := range c.nodes {
		r.rules.maxItems = 1 // one item per block: every block carries payload
	}
	b.ReportAllocs()
	b.ResetTimer()
	c.submit(items)
	low := func() uint64 {
		h := c.nodes[0].core.CommittedHeight()
		for _, r := range c.nodes[1:] {
			h = min(h, r.core.CommittedHeight())
		}
		return h
	}
	for low() < uint64(b.N) {
		if len(c.queue) == 0 {
			b.Fatalf("stalled at height %d", low())
		}
		c.deliver(c.pop(0))
	}
	b.StopTimer()
	if n := len(c.sentOf(isKind("timeout"))); n != 0 {
		b.Fatalf("%d timeouts", n)
	}
}

// BenchmarkFollowerProposal measures one replica handling a leader's
// proposal of a new view: decode checks, QC verification (cached after the
// first time), payload validation, vote signing and the safety-state write.
func BenchmarkFollowerProposal(b *testing.B) {
	c := newCluster(b, 4, func(cfg *Config) { cfg.FixedLeader = 0 })
	g := c.genesis()
	parent, justify := g, c.qc(0, g.Hash)
	msgs := make([][]byte, 0, b.N)
	for v := uint64(1); v <= uint64(b.N); v++ {
		blk := c.block(0, v, parent, justify, encodeItems([]uint64{v}))
		msgs = append(msgs, wireBytes(c.proposal(blk, nil)))
		parent, justify = blk, c.qc(v, blk.Hash, 0, 1, 2)
	}
	r := c.nodes[3]
	b.ReportAllocs()
	b.ResetTimer()
	for i := range msgs {
		p := &packet{from: 0, to: 3, data: msgs[i], twin: 2}
		if err := r.core.Step(c.now, 0, p.msg()); err != nil {
			b.Fatal(err)
		}
		rd := r.core.Ready()
		if err := r.store.Apply(&rd.Writes, true); err != nil {
			b.Fatal(err)
		}
	}
}
