package mempool

import (
	"slices"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/wire"
)

func rejections(o outbox.Outbox) []string {
	var out []string
	for _, e := range o.Client {
		if r := e.Msg.GetRejected(); r != nil {
			out = append(out, e.To.String()[:2]+":"+r.Reason)
		}
	}
	return out
}

func TestSubmit(t *testing.T) {
	h := newHarness(t, Config{MaxBatches: 2})
	a1 := raw(alice, 1, 1)
	h.submit(10, alice, a1)
	if h.m.Len() != 1 || !h.m.Pending() {
		t.Fatalf("Len %d Pending %v after one submit", h.m.Len(), h.m.Pending())
	}
	// The same batch again is a no-op, not a rejection.
	h.submit(11, alice, a1)
	if h.m.Len() != 1 || len(h.drain().Client) != 0 {
		t.Fatal("a resubmitted batch was added twice or rejected")
	}

	// A batch of someone else's commands is refused with a Rejected.
	err := h.m.Submit(12, bob, raw(alice, 2, 2))
	if err == nil || !strings.Contains(err.Error(), "submitter") {
		t.Fatalf("foreign batch: %v", err)
	}
	o := h.drain()
	if got := rejections(o); len(got) != 1 || !strings.HasPrefix(got[0], bob.String()[:2]+":") || !strings.Contains(got[0], "submitter") {
		t.Fatalf("rejections %v, want one to bob naming the submitter", got)
	}
	if want := batch.DigestOf(raw(alice, 2, 2)); string(o.Client[0].Msg.GetRejected().Digest) != string(want[:]) {
		t.Fatal("Rejected does not name the batch's digest")
	}
	if err := h.m.Submit(12, alice, []byte{0xff, 0x01}); err == nil || len(h.drain().Client) != 1 {
		t.Fatalf("garbage batch: %v", err)
	}

	// Full pool.
	h.submit(13, bob, raw(bob, 1, 1))
	err = h.m.Submit(14, alice, raw(alice, 3, 3))
	if err == nil || h.m.Len() != 2 {
		t.Fatalf("full pool accepted: %v, Len %d", err, h.m.Len())
	}
	if got := rejections(h.drain()); len(got) != 1 || !strings.Contains(got[0], "mempool full") {
		t.Fatalf("rejections %v, want mempool full", got)
	}
}

func TestSubmitByteBound(t *testing.T) {
	r1, r2 := raw(alice, 1, 1), raw(alice, 2, 2)
	h := newHarness(t, Config{MaxBytes: len(r1) + len(r2) - 1})
	h.submit(1, alice, r1)
	if err := h.m.Submit(2, alice, r2); err == nil {
		t.Fatal("byte bound not enforced")
	}
	if got := rejections(h.drain()); len(got) != 1 || !strings.Contains(got[0], "mempool full") {
		t.Fatalf("rejections %v", got)
	}
}

func TestBuild(t *testing.T) {
	h := newHarness(t, Config{BlockMaxBatches: 2, ProposeDelayUs: 1000})
	g := h.genesis

	if p, ok := h.m.Build(0, 1, g, false); !ok || p != nil {
		t.Fatalf("empty pool: Build = %x, %v; want an empty payload", p, ok)
	}
	d1 := h.submit(100, alice, raw(alice, 1, 1))
	// Not full, not due, not forced: wait.
	if _, ok := h.m.Build(500, 1, g, false); ok {
		t.Fatal("Build did not wait for the propose delay")
	}
	if w := h.m.WakeAt(); w != 1100 {
		t.Fatalf("WakeAt = %d, want 1100 (oldest arrival + delay)", w)
	}
	// Forced: propose now.
	if p, ok := h.m.Build(500, 1, g, true); !ok || !slices.Equal(decodeDigests(t, p), []batch.Digest{d1}) {
		t.Fatalf("forced Build = %x, %v", p, ok)
	}
	// Due: propose.
	if p, ok := h.m.Build(1100, 1, g, false); !ok || !slices.Equal(decodeDigests(t, p), []batch.Digest{d1}) {
		t.Fatalf("due Build = %x, %v", p, ok)
	}
	// Full: propose at once, oldest first, at most BlockMaxBatches.
	d2 := h.submit(1200, bob, raw(bob, 1, 1))
	d3 := h.submit(1300, alice, raw(alice, 2, 2))
	if p, ok := h.m.Build(1300, 1, g, false); !ok || !slices.Equal(decodeDigests(t, p), []batch.Digest{d1, d2}) {
		t.Fatalf("full Build = %v, %v; want d1, d2", decodeDigests(t, p), ok)
	}

	// Digests in the parent's uncommitted chain are left out.
	b1 := h.block(g, 1, payload(d1))
	b2 := h.block(b1, 2, payload(d2))
	p, ok := h.m.Build(1300, 3, b2, false)
	if ok {
		t.Fatalf("Build with only d3 new and not due = %v", decodeDigests(t, p))
	}
	if p, ok := h.m.Build(2300, 3, b2, false); !ok || !slices.Equal(decodeDigests(t, p), []batch.Digest{d3}) {
		t.Fatalf("Build on b2 = %v, %v; want only d3", decodeDigests(t, p), ok)
	}
	// Everything already in the chain: an empty payload.
	b3 := h.block(b2, 3, payload(d3))
	if p, ok := h.m.Build(2300, 4, b3, false); !ok || p != nil {
		t.Fatalf("Build with nothing new = %x, %v", p, ok)
	}
	// A committed ancestor's digests no longer count as "in the chain"
	// (they left the pool when committed).
	h.commit(b1)
	h.drain()
	if h.m.Len() != 2 {
		t.Fatalf("Len %d after committing d1, want 2", h.m.Len())
	}
	if p, ok := h.m.Build(2300, 5, g, true); !ok || !slices.Equal(decodeDigests(t, p), []batch.Digest{d2, d3}) {
		t.Fatalf("Build after commit = %v, want d2, d3 and no committed d1", decodeDigests(t, p))
	}
}

func TestBuildNoDelay(t *testing.T) {
	h := newHarness(t, Config{})
	d := h.submit(5, alice, raw(alice, 1, 1))
	if p, ok := h.m.Build(5, 1, h.genesis, false); !ok || !slices.Equal(decodeDigests(t, p), []batch.Digest{d}) {
		t.Fatal("without a propose delay a batch is proposed at once")
	}
	if w := h.m.WakeAt(); w != 0 {
		t.Fatalf("WakeAt = %d with nothing to wait for", w)
	}
}

func TestValidate(t *testing.T) {
	h := newHarness(t, Config{Self: 0, BlockMaxBatches: 3})
	g := h.genesis
	d1 := h.submit(1, alice, raw(alice, 1, 1))
	d2 := h.submit(1, alice, raw(alice, 2, 2))
	dc := h.submit(1, bob, raw(bob, 1, 1))
	committed := h.block(g, 1, payload(dc))
	h.commit(committed)
	h.drain()
	base := h.block(committed, 1, payload(d1))

	cases := []struct {
		name    string
		payload []byte
		want    hotstuff.Verdict
		errHas  string
	}{
		{"empty", nil, hotstuff.Valid, ""},
		{"fresh", payload(d2), hotstuff.Valid, ""},
		{"twice in block", payload(d2, d2), hotstuff.Invalid, "twice in block"},
		{"already in chain", payload(d2, d1), hotstuff.Invalid, "already in chain"},
		{"committed ancestor", payload(dc), hotstuff.Invalid, "already in chain"},
		{"too many", payload(d2, batch.Digest{1}, batch.Digest{2}, batch.Digest{3}), hotstuff.Invalid, "exceeds block limit 3"},
		{"garbage payload", []byte{0xff, 0xff}, hotstuff.Invalid, "payload"},
		{"short digest", wire.Marshal(&wire.BaselinePayload{Digests: [][]byte{{1, 2}}}), hotstuff.Invalid, "digest is 2 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := h.block(base, 2, tc.payload)
			v, err := h.m.Validate(10, b, base)
			if v != tc.want {
				t.Fatalf("verdict %v (%v), want %v", v, err, tc.want)
			}
			if tc.errHas == "" && err != nil || tc.errHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errHas)) {
				t.Fatalf("error %v, want %q", err, tc.errHas)
			}
			if v == hotstuff.Valid {
				for _, d := range decodeDigests(t, tc.payload) {
					if !hasPut(h.out.Writes, bodyKey(d)) {
						t.Fatalf("body %s not persisted before the vote", d.Short())
					}
				}
			}
			h.drain()
		})
	}
}

func TestValidateFetchesMissingBodies(t *testing.T) {
	h := newHarness(t, Config{Self: 0, FetchRetryUs: 100})
	g := h.genesis
	rx, ry := raw(alice, 1, 1), raw(bob, 1, 1)
	dx, dy := batch.DigestOf(rx), batch.DigestOf(ry)
	b := h.block(g, 2, payload(dx, dy))

	v, err := h.m.Validate(1000, b, g)
	if v != hotstuff.Wait || err != nil {
		t.Fatalf("missing bodies: %v, %v; want Wait", v, err)
	}
	o := h.drain()
	if got := requests(o); !slices.Equal(got, []string{reqString(2, dx, dy)}) {
		t.Fatalf("requests %v, want both digests from the proposer 2", got)
	}
	// Asking again does not repeat the request.
	if v, _ := h.m.Validate(1001, b, g); v != hotstuff.Wait || len(requests(h.drain())) != 0 {
		t.Fatal("second Validate re-sent the request")
	}
	if h.m.WakeAt() != 1100 {
		t.Fatalf("WakeAt = %d, want the fetch retry at 1100", h.m.WakeAt())
	}

	// A response with one wanted body and one unwanted.
	h.m.OnResponse(1002, &wire.BatchResponse{Batches: [][]byte{rx, raw(bob, 9, 9), {0xff}}})
	if h.m.Len() != 1 {
		t.Fatalf("Len %d after a response with one wanted body", h.m.Len())
	}
	if v, _ := h.m.Validate(1003, b, g); v != hotstuff.Wait {
		t.Fatalf("one body still missing: %v", v)
	}
	h.m.OnResponse(1004, &wire.BatchResponse{Batches: [][]byte{ry}})
	v, err = h.m.Validate(1005, b, g)
	if v != hotstuff.Valid || err != nil {
		t.Fatalf("after the bodies arrived: %v, %v", v, err)
	}
	o = h.drain()
	if !hasPut(o.Writes, bodyKey(dx)) || !hasPut(o.Writes, bodyKey(dy)) {
		t.Fatal("fetched bodies not persisted before the vote")
	}
	if h.m.WakeAt() != 0 {
		t.Fatalf("WakeAt = %d with nothing missing", h.m.WakeAt())
	}
}

func TestValidateOwnProposalAsksAnother(t *testing.T) {
	h := newHarness(t, Config{Self: 3})
	d := batch.DigestOf(raw(alice, 1, 1))
	b := h.block(h.genesis, 3, payload(d))
	if v, _ := h.m.Validate(0, b, h.genesis); v != hotstuff.Wait {
		t.Fatalf("verdict %v", v)
	}
	if got := requests(h.drain()); !slices.Equal(got, []string{reqString(0, d)}) {
		t.Fatalf("requests %v, want replica 0 (never itself)", got)
	}
}

func TestTickRetriesNextReplica(t *testing.T) {
	h := newHarness(t, Config{Self: 0, FetchRetryUs: 100})
	d := batch.DigestOf(raw(alice, 1, 1))
	b := h.block(h.genesis, 2, payload(d))
	h.m.Validate(1000, b, h.genesis)
	h.drain()

	h.m.Tick(1099)
	if got := requests(h.drain()); len(got) != 0 {
		t.Fatalf("retry before FetchRetryUs: %v", got)
	}
	var order []string
	for i, now := range []int64{1100, 1200, 1300, 1400} {
		h.m.Tick(now)
		got := requests(h.drain())
		if len(got) != 1 {
			t.Fatalf("tick %d: requests %v", i, got)
		}
		order = append(order, got[0])
	}
	// Proposer 2, then 3, then 0 (self, so 1), then 1.
	want := []string{reqString(3, d), reqString(1, d), reqString(1, d), reqString(2, d)}
	if !slices.Equal(order, want) {
		t.Fatalf("retry targets %v, want %v", order, want)
	}
}

func TestOnRequest(t *testing.T) {
	h := newHarness(t, Config{})
	rMem, rStore := raw(alice, 1, 1), raw(bob, 1, 1)
	dMem := h.submit(1, alice, rMem)
	dStore := h.submit(1, bob, rStore)
	// Commit dStore: it leaves memory and lives on in the store.
	b := h.block(h.genesis, 1, payload(dStore))
	h.commit(b)
	h.drain()
	if h.m.Len() != 1 {
		t.Fatalf("Len %d", h.m.Len())
	}

	unknown := batch.Digest{7}
	h.m.OnRequest(10, 2, &wire.BatchRequest{Digests: [][]byte{dMem[:], {1, 2, 3}, unknown[:], dStore[:]}})
	o := h.drain()
	if len(o.Messages) != 1 || o.Messages[0].To != 2 {
		t.Fatalf("messages %+v, want one response to replica 2", o.Messages)
	}
	got := o.Messages[0].Msg.GetBatchResponse().Batches
	if len(got) != 2 || string(got[0]) != string(rMem) || string(got[1]) != string(rStore) {
		t.Fatalf("response holds %d bodies, want the memory one and the stored one", len(got))
	}

	h.m.OnRequest(10, 1, &wire.BatchRequest{Digests: [][]byte{unknown[:]}})
	if len(h.drain().Messages) != 0 {
		t.Fatal("a response with no body was sent")
	}
}

// TestOnRequestServesEachDigestOnce: a request naming one digest over a
// thousand times is answered with its body once (before, with every
// repetition: a Byzantine replica's 34 KB request made a correct replica
// build a 4 GB response for a 4 MB batch).
func TestOnRequestServesEachDigestOnce(t *testing.T) {
	h := newHarness(t, Config{})
	r := raw(alice, 1, 1)
	d := h.submit(1, alice, r)
	req := &wire.BatchRequest{}
	for range MaxBatchesPerResponse + 10 {
		req.Digests = append(req.Digests, d[:])
	}
	h.m.OnRequest(10, 1, req)
	if got := len(h.drain().Messages[0].Msg.GetBatchResponse().Batches); got != 1 {
		t.Fatalf("response holds %d bodies for one digest, want 1", got)
	}
}

func TestCommittedReleasesInOrder(t *testing.T) {
	h := newHarness(t, Config{Self: 0})
	g := h.genesis
	r1, r2 := raw(alice, 1, 1), raw(bob, 1, 1)
	d1, d2 := batch.DigestOf(r1), batch.DigestOf(r2)
	h.submit(1, bob, r2)
	b1 := h.block(g, 1, payload(d1)) // body unknown here
	b2 := h.block(b1, 2, payload(d2))
	b3 := h.block(b2, 3, nil)

	h.commit(b1)
	h.commit(b2)
	o := h.drain()
	if len(o.Committed) != 0 {
		t.Fatalf("released %d blocks before block 1's body arrived", len(o.Committed))
	}
	if got := requests(o); len(got) != 1 || got[0] != reqString(1, d1) {
		t.Fatalf("requests %v, want d1 from proposer 1", got)
	}
	if !h.m.Pending() {
		t.Fatal("not Pending with committed blocks waiting")
	}

	h.m.OnResponse(5, &wire.BatchResponse{Batches: [][]byte{r1}})
	h.commit(b3)
	o = h.drain()
	if len(o.Committed) != 3 {
		t.Fatalf("released %d blocks, want 3", len(o.Committed))
	}
	for i, eb := range o.Committed {
		if eb.Height != uint64(i+1) {
			t.Fatalf("block %d released at position %d", eb.Height, i)
		}
	}
	if eb := o.Committed[0]; len(eb.Batches) != 1 || eb.Batches[0].Digest != d1 || eb.Batches[0].TS != 0 || eb.Hash != b1.Hash || eb.View != b1.View {
		t.Fatalf("block 1 resolved to %+v", eb)
	}
	if eb := o.Committed[1]; len(eb.Batches) != 1 || eb.Batches[0].Batch.Commands[0].Seq != 1 || string(eb.Batches[0].Batch.Submitter) != string(bob[:]) {
		t.Fatalf("block 2 resolved to %+v", eb)
	}
	if len(o.Committed[2].Batches) != 0 {
		t.Fatal("empty block resolved to batches")
	}
	// Bodies are stored, memory is released, and an index by height kept.
	for _, d := range []batch.Digest{d1, d2} {
		if _, err := h.store.Get(bodyKey(d)); err != nil {
			t.Fatalf("committed body %s not stored: %v", d.Short(), err)
		}
	}
	if h.m.Len() != 0 || h.m.Pending() {
		t.Fatalf("Len %d Pending %v after everything committed", h.m.Len(), h.m.Pending())
	}
	if !hasPut(o.Writes, append(append([]byte{'Q'}, 0, 0, 0, 0, 0, 0, 0, 2), d2[:]...)) {
		t.Fatal("no height index entry for d2 at height 2")
	}
}

func TestResendCommitted(t *testing.T) {
	h := newHarness(t, Config{})
	r := raw(alice, 1, 1)
	d := h.submit(1, alice, r)
	h.commit(h.block(h.genesis, 1, payload(d)))
	h.drain()
	if err := h.m.Submit(2, alice, r); err != nil {
		t.Fatal(err)
	}
	o := h.drain()
	if !slices.Equal(o.Resend, []outbox.Resend{{Client: alice, Digest: d}}) {
		t.Fatalf("Resend %+v", o.Resend)
	}
	if h.m.Len() != 0 || len(o.Client) != 0 {
		t.Fatal("a committed batch re-entered the pool or was rejected")
	}
}

func TestRecentCommittedBounded(t *testing.T) {
	h := newHarness(t, Config{RecentCommitted: 2})
	parent := h.genesis
	var ds []batch.Digest
	for i := range 3 {
		d := h.submit(1, alice, raw(alice, uint64(i), uint64(i+1)))
		parent = h.block(parent, 0, payload(d))
		h.commit(parent)
		ds = append(ds, d)
	}
	h.drain()
	if h.m.recent.Len() != 2 {
		t.Fatalf("remembers %d committed digests, bound 2", h.m.recent.Len())
	}
	if h.m.recent.Has(ds[0]) {
		t.Fatal("oldest committed digest not forgotten first")
	}
}

func TestPruneStoredBodies(t *testing.T) {
	h := newHarness(t, Config{RetentionBlocks: 2})
	parent := h.genesis
	var ds []batch.Digest
	for i := range 5 {
		d := h.submit(1, alice, raw(alice, uint64(i), uint64(i+1)))
		parent = h.block(parent, 0, payload(d))
		h.commit(parent)
		h.drain()
		ds = append(ds, d)
	}
	// Tip 5, retention 2: heights 1 and 2 pruned, 3..5 kept.
	for i, d := range ds {
		_, err := h.store.Get(bodyKey(d))
		if kept := i >= 2; (err == nil) != kept {
			t.Fatalf("body of height %d: stored=%v, want %v", i+1, err == nil, kept)
		}
	}
	var idx int
	h.store.Scan([]byte{'Q'}, []byte{'Q' + 1}, func(k, _ []byte) bool { idx++; return true })
	if idx != 3 {
		t.Fatalf("%d height index entries, want 3", idx)
	}
}

func TestString(t *testing.T) {
	h := newHarness(t, Config{})
	h.submit(1, alice, raw(alice, 1, 1))
	if s := h.m.String(); !strings.Contains(s, "bodies=1") {
		t.Fatalf("String = %q", s)
	}
	if !h.m.Carries([]byte{1}) || h.m.Carries(nil) {
		t.Fatal("Carries")
	}
}

// TestDuplicateVerdictIgnoresCaches: whether a proposal names a digest that
// is already in the chain is decided from the chain alone, so a replica that
// restarted (its memory of committed digests gone) reaches the same verdict
// as one that remembers; beyond the window the digest is valid everywhere.
func TestDuplicateVerdictIgnoresCaches(t *testing.T) {
	h := newHarness(t, Config{Self: 0})
	dc := h.submit(1, bob, raw(bob, 1, 1))
	committed := h.block(h.genesis, 1, payload(dc))
	h.commit(committed)
	h.drain()
	restarted := newPool(h.m.cfg, h.store, &outbox.Outbox{}) // no memory of what committed
	restarted.SetTree(h.tree)
	again := h.block(committed, 1, payload(dc))
	for name, m := range map[string]*Mempool{"running": h.m, "restarted": restarted} {
		if v, err := m.Validate(10, again, committed); v != hotstuff.Invalid {
			t.Errorf("%s replica: %v (%v) for a block naming its committed parent's digest, want invalid", name, v, err)
		}
	}
	parent := committed
	for i := 0; i < DupWindowBlocks; i++ {
		parent = h.block(parent, uint32(i%4), nil)
	}
	far := h.block(parent, 1, payload(dc))
	for name, m := range map[string]*Mempool{"running": h.m, "restarted": restarted} {
		if v, err := m.Validate(10, far, parent); v == hotstuff.Invalid {
			t.Errorf("%s replica: invalid (%v) for a digest last named beyond the window", name, err)
		}
	}
}
