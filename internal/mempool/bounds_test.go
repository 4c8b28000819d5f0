package mempool

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/batch"
)

// TestAbandonedFetchesStop: a Byzantine leader can propose digests whose
// bodies exist nowhere. Once a different block commits at that height the
// fork is dead, and the pool must stop asking for its bodies: otherwise
// every such proposal adds requests that are re-sent forever.
func TestAbandonedFetchesStop(t *testing.T) {
	h := newHarness(t, Config{Self: 0, FetchRetryUs: 100})
	g := h.genesis
	bogus := h.block(g, 1, payload(batch.Digest{0xde, 0xad}))
	h.m.Validate(1000, bogus, g)
	h.drain()

	d := h.submit(1000, alice, raw(alice, 1, 1))
	h.commit(h.block(g, 2, payload(d))) // the other fork commits at height 1
	h.drain()

	now := int64(1000)
	for range 50 {
		now += 100
		h.m.Tick(now)
		h.drain()
	}
	h.m.Tick(now + 100)
	if got := requests(h.drain()); len(got) != 0 {
		t.Fatalf("still fetching bodies of an abandoned block after 50 retries: %v", got)
	}
}

// TestArrivalBoundedWithoutBuild: a replica that never leads (fixed leader)
// never calls Build, the only place the arrival queue is compacted.
func TestArrivalBoundedWithoutBuild(t *testing.T) {
	h := newHarness(t, Config{})
	parent := h.genesis
	for i := range 200 {
		d := h.submit(1, alice, raw(alice, uint64(i), uint64(i+1)))
		parent = h.block(parent, 1, payload(d))
		h.commit(parent)
		h.drain()
	}
	if h.m.Len() != 0 {
		t.Fatalf("Len %d", h.m.Len())
	}
	if len(h.m.arrival) > 16 {
		t.Fatalf("arrival holds %d digests with no body pending", len(h.m.arrival))
	}
}

// TestClientShareBoundsOneSubmitter: one client at its share of the pending
// bodies has its next submission refused (with a Rejected reply), while
// another client still gets in, and the share comes back as blocks commit
// its bodies.
func TestClientShareBoundsOneSubmitter(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"batches", Config{ClientBatches: 3}},
		{"bytes", Config{ClientBytes: len(raw(alice, 0, 1)) + len(raw(alice, 1, 2)) + len(raw(alice, 2, 3))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cfg)
			var held []batch.Digest
			for i := range 3 {
				held = append(held, h.submit(1, alice, raw(alice, uint64(i), uint64(i+1))))
			}
			h.drain()
			if err := h.m.Submit(1, alice, raw(alice, 9, 10)); err == nil {
				t.Fatal("a fourth body of a client at its share was taken")
			}
			if got := rejections(h.drain()); len(got) != 1 {
				t.Fatalf("rejections sent %v, want one", got)
			}
			h.submit(1, bob, raw(bob, 1, 1)) // another client is not held back
			h.commit(h.block(h.genesis, 1, payload(held[0])))
			h.drain()
			h.submit(1, alice, raw(alice, 0, 7)) // a commit gave the share back (as many bytes as held[0])
			if len(h.m.shares) != 2 {
				t.Fatalf("%d shares, want 2 (alice, bob)", len(h.m.shares))
			}
		})
	}
}

// TestSharesEmptyWhenPoolDrains: the share table holds an entry only per
// submitter with a pending body.
func TestSharesEmptyWhenPoolDrains(t *testing.T) {
	h := newHarness(t, Config{})
	parent := h.genesis
	for i := range 20 {
		c := alice
		if i%2 == 1 {
			c = bob
		}
		d := h.submit(1, c, raw(c, uint64(i), uint64(i+1)))
		parent = h.block(parent, 1, payload(d))
		h.commit(parent)
		h.drain()
	}
	if len(h.m.shares) != 0 || h.m.bytes != 0 {
		t.Fatalf("pool drained but %d shares and %d bytes remain", len(h.m.shares), h.m.bytes)
	}
}
