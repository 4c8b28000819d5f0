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
