package hotstuff

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/storage"
)

// docs/protocol.md section 3.5: "Lagging replicas catch up by fetching blocks and QCs,
// then bodies." A replica cut off while the others commit fetches the
// missing chain (BlockRequest/BlockResponse) and commits the same blocks.
func TestLaggingReplicaFetchesAndCommitsTheSameChain(t *testing.T) {
	c := newCluster(t, 4, func(cfg *Config) { cfg.MaxFetchBlocks = 4 })
	cut := func(p *packet) bool { return p.to == 3 || p.from == 3 }
	c.lose = cut
	for item := uint64(1); item <= 8; item++ {
		c.submit([]uint64{item}, 0, 1, 2)
		if !c.run(20*testViewTimeoutUs, func() bool {
			for _, r := range c.nodes[:3] {
				if !r.rules.committedItem(item) {
					return false
				}
			}
			return true
		}) {
			for _, r := range c.nodes {
				t.Logf("replica %d: %s", r.id, r.core)
			}
			t.Fatalf("item %d not committed by the connected replicas", item)
		}
	}
	if h := c.nodes[3].core.CommittedHeight(); h != 0 {
		t.Fatalf("cut-off replica committed %d blocks", h)
	}
	c.lose = nil
	c.submit([]uint64{9})
	if !c.run(60*testViewTimeoutUs, func() bool { return c.allCommitted(1, 2, 3, 4, 5, 6, 7, 8, 9) }) {
		t.Fatalf("lagging replica did not catch up: %s", c.nodes[3].core)
	}
	if len(c.sentOf(and(isKind("blockreq"), fromReplica(3)))) < 2 {
		t.Fatal("caught up without fetching in several rounds (MaxFetchBlocks = 4)")
	}
	// The harness checked each commit against the others at that height.
	for i, b := range c.nodes[3].committed {
		if b.Hash != c.nodes[0].committed[i].Hash {
			t.Fatalf("height %d: replica 3 committed %s, replica 0 %s", b.Height, b.Hash, c.nodes[0].committed[i].Hash)
		}
	}
}

// fetch.go retryFetches: a fetch that takes too long is re-asked "from the
// next replica"; one nobody answers is abandoned after 4n tries.
func TestFetchRetriesRotateAndGiveUp(t *testing.T) {
	c, bs, qcs := votingFixture(t)
	if _, err := c.stepOne(2, 1, c.proposal(c.block(1, 4, bs[3], qcs[3], nil), nil)); err != nil {
		t.Fatal(err)
	}
	core := c.nodes[2].core
	asked := map[uint32]int{}
	reqs := func() []*packet {
		return c.drop(and(isKind("blockreq"), fromReplica(2)))
	}
	for _, p := range reqs() {
		asked[p.to]++
	}
	if asked[1] != 1 || len(asked) != 1 {
		t.Fatalf("first fetch asked %v, want the proposer 1", asked)
	}
	for round := 0; round < 3; round++ {
		c.now += testFetchRetryUs
		core.Tick(c.now)
		c.collect(c.nodes[2])
		for _, p := range reqs() {
			if p.to == 2 {
				t.Fatal("asked itself")
			}
			asked[p.to]++
		}
	}
	if len(asked) != 3 {
		t.Fatalf("after 3 retries asked %v, want all three other replicas", asked)
	}
	for round := 0; round < 4*c.n+2; round++ {
		c.now += testFetchRetryUs
		core.Tick(c.now)
		c.collect(c.nodes[2])
		reqs()
	}
	if len(core.fetching) != 0 {
		t.Fatalf("still fetching %d blocks after %d unanswered tries", len(core.fetching), 4*c.n+5)
	}
}

// Config.RetentionBlocks: storage keeps that many committed blocks below
// the tip; LoadCommitted returns nil below retention.
func TestPruningKeepsStorageBounded(t *testing.T) {
	const retention = 6
	c := newCluster(t, 4, func(cfg *Config) {
		cfg.RetentionBlocks = retention
		cfg.MemoryBlocks = 3
	})
	for item := uint64(1); item <= 12; item++ {
		c.submit([]uint64{item})
		if !c.run(20*testViewTimeoutUs, func() bool { return c.allCommitted(item) }) {
			t.Fatalf("item %d not committed", item)
		}
	}
	for _, r := range c.nodes {
		checkRetention(t, r, retention)
	}
}

// A replica that catches up through fetches commits many blocks at once;
// pruning must bound its storage as well.
func TestPruningAfterCatchUpKeepsStorageBounded(t *testing.T) {
	const retention = 4
	c := newCluster(t, 4, func(cfg *Config) { cfg.RetentionBlocks = retention })
	c.lose = func(p *packet) bool { return p.to == 3 || p.from == 3 }
	for item := uint64(1); item <= 10; item++ {
		c.submit([]uint64{item}, 0, 1, 2)
		c.run(20*testViewTimeoutUs, func() bool { return c.nodes[0].rules.committedItem(item) })
	}
	c.lose = nil
	c.submit([]uint64{11})
	if !c.run(60*testViewTimeoutUs, func() bool { return c.allCommitted(11) }) {
		t.Fatal("lagging replica did not catch up")
	}
	checkRetention(t, c.nodes[3], retention)
}

func countPrefix(t *testing.T, s *storage.Mem, prefix byte) int {
	t.Helper()
	n := 0
	if err := s.Scan([]byte{prefix}, []byte{prefix + 1}, func(_, _ []byte) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	return n
}

func checkRetention(t *testing.T, r *replica, retention uint64) {
	t.Helper()
	tip := r.core.CommittedHeight()
	if tip < 3*retention {
		t.Fatalf("replica %d: only %d blocks committed", r.id, tip)
	}
	// Committed blocks kept: heights tip-retention..tip; uncommitted ones
	// above the tip: a few.
	const uncommittedSlack = 6
	blocks, index, committed := countPrefix(t, r.store, prefixBlock), countPrefix(t, r.store, prefixBlockIdx), countPrefix(t, r.store, prefixCommitted)
	if committed > int(retention)+1 {
		t.Fatalf("replica %d: %d committed-height records, retention %d", r.id, committed, retention)
	}
	if blocks > int(retention)+1+uncommittedSlack || index > int(retention)+1+uncommittedSlack {
		t.Fatalf("replica %d: %d block records and %d index records, retention %d", r.id, blocks, index, retention)
	}
	for h := uint64(1); h <= tip; h++ {
		b, err := LoadCommitted(r.store, testCluster, 4, h)
		if err != nil {
			t.Fatal(err)
		}
		kept := h+retention >= tip
		if kept != (b != nil) {
			t.Fatalf("replica %d: LoadCommitted(%d) = %v with tip %d and retention %d", r.id, h, b, tip, retention)
		}
		if b != nil && b.Height != h {
			t.Fatalf("LoadCommitted(%d) returned height %d", h, b.Height)
		}
	}
}
