package ordering

import (
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

// The tests of this file each replay an attack on the ordering layer that
// once stopped a cluster, and fail if the rule that refuses it is removed.

// viewLedBy is the first view at or above from that replica leads.
func viewLedBy(h *harness, from uint64, replica uint32) uint64 {
	for v := from; ; v++ {
		if h.tree.Leader(v) == replica {
			return v
		}
	}
}

// collectFrom delivers a collect from sender to replica i and returns the
// reply i sent back, if any.
func (h *harness) collectFrom(i int, sender uint32, c *wire.Collect) *wire.CollectReply {
	h.now += 10
	_ = h.ords[i].Step(h.now, sender, &wire.Message{Body: &wire.Message_Collect{Collect: c}})
	return h.replyIn(i, sender)
}

func (h *harness) replyIn(i int, to uint32) *wire.CollectReply {
	o := h.drain(i)
	h.persist(i, &o.Writes)
	for _, e := range o.Messages {
		if r := e.Msg.GetCollectReply(); r != nil && e.To == int(to) {
			return r
		}
	}
	return nil
}

// TestFarFutureCollectIsNotAnswered: a Byzantine replica sends a collect for
// a view far ahead that it leads. A correct replica must not answer it, and
// must still answer the real leader of its current view (before the fix the
// far view became a high-water mark and every later leader was ignored).
func TestFarFutureCollectIsNotAnswered(t *testing.T) {
	h := newHarness(t, 4, 1)
	h.tree.setView(5)
	far := viewLedBy(h, 1<<40, 3)
	c := &wire.Collect{View: far, Parent: h.tree.genesis.Hash[:], Boundary: h.now}
	if r := h.collectFrom(0, 3, c); r != nil {
		t.Fatalf("answered a collect for view %d while in view 5", far)
	}
	if r := h.collect(0, 5, h.now-1); r == nil {
		t.Fatal("after a far-future collect, the current view's leader got no answer")
	}
	// A collect one view ahead waits until the replica gets there.
	next := viewLedBy(h, 6, h.tree.Leader(6))
	c = &wire.Collect{View: next, Parent: h.tree.genesis.Hash[:], Boundary: h.now}
	if r := h.collectFrom(1, h.tree.Leader(next), c); r != nil {
		t.Fatal("answered a collect for a view not yet entered")
	}
	h.tree.setView(next)
	h.now += 10
	h.ords[1].Tick(h.now)
	if r := h.replyIn(1, h.tree.Leader(next)); r == nil {
		t.Fatal("a collect held for the next view was not answered once the replica entered it")
	}
	// One for an earlier view is dropped.
	if r := h.collectFrom(2, h.tree.Leader(5), &wire.Collect{View: 5, Parent: h.tree.genesis.Hash[:], Boundary: h.now - 1}); r != nil {
		t.Fatal("answered a collect for a view already left")
	}
}

// chainScene is a committed block b1 holding batch raw at ts1, seen by every
// replica, with replica 3 restarted afterwards (its memory of committed
// digests gone) and a second proof for the same digest at a later ts2.
type chainScene struct {
	h        *harness
	raw      []byte
	d        batch.Digest
	b1       *hotstuff.Block
	t1       int64
	ts2      int64
	proof2   *wire.SequenceProof
	restarts []int
}

func newChainScene(t *testing.T) *chainScene {
	h := newHarness(t, 4, 1)
	id := h.clientID(0)
	raw := h.newBatch(0, 1)
	ts1 := h.now
	p1 := h.mintProof(raw, ts1)
	for i := 0; i < h.n; i++ {
		if ok, reason := h.sequence(i, id, raw, ts1, p1); !ok {
			t.Fatalf("replica %d refused the first sequencing: %s", i, reason)
		}
	}
	h.now += 1000
	t1 := ts1 + 1
	h.tree.setView(5)
	b1 := h.tree.add(5, h.tree.genesis, h.signedSlot(5, h.tree.genesis, t1, []sequencedEntry{{raw: raw, ts: ts1, proof: p1}}))
	for i := 0; i < h.n; i++ {
		if v, err := h.ords[i].Validate(h.now, b1, h.tree.genesis); v != hotstuff.Valid {
			t.Fatalf("replica %d: first block %v: %v", i, v, err)
		}
		h.ords[i].Committed(b1)
		o := h.drain(i)
		h.persist(i, &o.Writes)
		if len(o.Committed) != 1 {
			t.Fatalf("replica %d did not release the committed block", i)
		}
	}
	h.tree.committed[b1.Hash] = true
	h.start(3) // a correct replica that restarted: its in-memory caches are empty
	ts2 := h.now
	return &chainScene{h: h, raw: raw, d: digestOf(raw), b1: b1, t1: t1, ts2: ts2, proof2: h.mintProof(raw, ts2), restarts: []int{3}}
}

// verdicts validates b on parent at every replica.
func (s *chainScene) verdicts(b, parent *hotstuff.Block) []hotstuff.Verdict {
	var out []hotstuff.Verdict
	for i := 0; i < s.h.n; i++ {
		v, _ := s.h.ords[i].Validate(s.h.now, b, parent)
		out = append(out, v)
	}
	return out
}

// TestReincludedDigestVerdictIsTheSameEverywhere: a slot that lists a digest
// its parent already holds (re-timestamped by a Byzantine client) is refused
// by every correct replica alike, restarted or not; before the fix a
// restarted replica accepted it while the others refused, and the leader
// that included it stalled the cluster.
func TestReincludedDigestVerdictIsTheSameEverywhere(t *testing.T) {
	s := newChainScene(t)
	h := s.h
	h.now += 1000
	h.tree.setView(6)
	b2 := h.tree.add(6, s.b1, h.signedSlot(6, s.b1, s.ts2+1, []sequencedEntry{{raw: s.raw, ts: s.ts2, proof: s.proof2}}))
	for i, v := range s.verdicts(b2, s.b1) {
		if v != hotstuff.Invalid {
			t.Errorf("replica %d: %v for a slot re-including a digest of its parent, want invalid at every replica", i, v)
		}
	}
	// Beyond the window the same digest is valid everywhere (execution
	// skips its commands as duplicates).
	parent := s.b1
	for v := uint64(7); v < 7+DupWindowBlocks; v++ {
		parent = h.tree.add(v, parent, wire.Marshal(&wire.Slot{Boundary: s.t1}))
	}
	h.now += 1000
	far := h.tree.add(7+DupWindowBlocks, parent, h.signedSlot(7+DupWindowBlocks, parent, s.ts2+1, []sequencedEntry{{raw: s.raw, ts: s.ts2, proof: s.proof2}}))
	for i, v := range s.verdicts(far, parent) {
		if v != hotstuff.Valid {
			t.Errorf("replica %d: %v for a digest last seen beyond the window, want valid at every replica", i, v)
		}
	}
}

// TestCollectOmitsDigestsOfTheChainWindow: a restarted correct replica that
// acked a re-sequencing of a committed digest must not list it in its
// collect reply (the leader could not use the reply otherwise), and a
// leader skips a reply that lists one.
func TestCollectOmitsDigestsOfTheChainWindow(t *testing.T) {
	s := newChainScene(t)
	h := s.h
	id := h.clientID(0)
	if ok, reason := h.sequence(0, id, s.raw, s.ts2, s.proof2); ok {
		t.Fatal("a replica that remembers the commit acked a second ts for the digest")
	} else if !strings.Contains(reason, "committed") {
		t.Fatalf("refusal %q does not say the batch was committed", reason)
	}
	if ok, reason := h.sequence(3, id, s.raw, s.ts2, s.proof2); !ok {
		t.Fatalf("restarted replica refused: %s", reason)
	}
	h.now += 1000
	view := viewLedBy(h, 6, 1)
	h.tree.setView(view)
	c := &wire.Collect{View: view, Parent: s.b1.Hash[:], Boundary: s.ts2 + 1}
	r := h.collectFrom(3, 1, c)
	if r == nil {
		t.Fatal("restarted replica refused a valid collect")
	}
	for _, e := range r.Entries {
		if string(e.Digest) == string(s.d[:]) {
			t.Fatal("a collect reply lists a digest that its parent holds")
		}
	}
}

// TestLeaderSkipsPoisonedReply: a Byzantine replica's collect reply lists a
// digest of the parent, with a valid proof it serves when asked. The leader
// must build from the other replies.
func TestLeaderSkipsPoisonedReply(t *testing.T) {
	s := newChainScene(t)
	h := s.h
	// Every correct replica holds one legitimate sequenced batch, so their
	// replies are no smaller than the Byzantine one.
	legit := h.newBatch(0, 2)
	lp := h.mintProof(legit, s.ts2+5)
	for i := 1; i < h.n; i++ {
		if ok, reason := h.sequence(i, h.clientID(0), legit, s.ts2+5, lp); !ok {
			t.Fatalf("replica %d refused a legitimate batch: %s", i, reason)
		}
	}
	h.now += 100_000 // the leader's boundary (now - delta) is above ts2
	view := viewLedBy(h, 6, 1)
	h.tree.setView(view)
	leader := h.ords[1]
	if _, ok := leader.Build(h.now, view, s.b1, false); ok {
		t.Fatal("built before any reply")
	}
	collect := h.drain(1)
	h.persist(1, &collect.Writes)
	var c *wire.Collect
	for _, e := range collect.Messages {
		if m := e.Msg.GetCollect(); m != nil {
			c = m
		}
	}
	if c == nil {
		t.Fatal("the leader sent no collect")
	}
	// Replica 0 is Byzantine: it lists (d, ts2) under the round's boundary.
	if c.Boundary <= s.ts2 {
		t.Fatalf("setup: boundary %d not above ts2 %d", c.Boundary, s.ts2)
	}
	entries := []*wire.SlotEntry{{Digest: s.d[:], Ts: s.ts2}}
	bad := h.signedReply(0, c, entries)
	h.now += 10
	_ = leader.Step(h.now, 0, &wire.Message{Body: &wire.Message_CollectReply{CollectReply: bad}})
	_ = leader.Step(h.now, 0, &wire.Message{Body: &wire.Message_SequencedResponse{SequencedResponse: &wire.SequencedResponse{Batches: []*wire.SequencedBatch{{Batch: s.raw, Ts: s.ts2, Proof: s.proof2}}}}})
	if leader.proven(s.d, s.ts2) == nil {
		t.Fatal("setup: the leader did not take the solicited proof")
	}
	for _, i := range []int{2, 3} {
		if r := h.collectFrom(i, 1, c); r != nil {
			_ = leader.Step(h.now, uint32(i), &wire.Message{Body: &wire.Message_CollectReply{CollectReply: r}})
		}
	}
	h.drain(1)
	payload, ok := leader.Build(h.now, view, s.b1, false)
	if !ok {
		t.Fatal("the leader did not build from the three usable replies")
	}
	b := h.tree.add(view, s.b1, payload)
	if si, err := leader.slotOf(b); err != nil || len(si.entries) != 1 || si.entries[0].d != digestOf(legit) {
		t.Fatalf("the slot should hold exactly the legitimate batch: %+v %v", si, err)
	}
	for i := 0; i < h.n; i++ {
		v, err := h.ords[i].Validate(h.now, b, s.b1)
		if v == hotstuff.Wait {
			// Replica 0 never saw the legitimate batch: it fetches the body.
			_ = h.ords[i].Step(h.now, 1, &wire.Message{Body: &wire.Message_BatchResponse{BatchResponse: &wire.BatchResponse{Batches: [][]byte{legit}}}})
			v, err = h.ords[i].Validate(h.now, b, s.b1)
		}
		if v != hotstuff.Valid {
			t.Errorf("replica %d: %v for the leader's slot: %v", i, v, err)
		}
	}
}

// signedReply is replica i's signed collect reply to c listing entries.
func (h *harness) signedReply(i int, c *wire.Collect, entries []*wire.SlotEntry) *wire.CollectReply {
	r := &wire.CollectReply{View: c.View, Parent: c.Parent, Boundary: c.Boundary, Replica: uint32(i), Entries: entries}
	r.Sig = h.ords[i].cfg.Signer.Sign(crypto.DomainCollect, crypto.U64(c.View), c.Parent, crypto.I64(c.Boundary), listBytes(entries))
	return r
}

// ordererWith is replica self of h's committee with config changes.
func (h *harness) ordererWith(self int, change func(*Config)) *Orderer {
	cfg := Config{Self: uint32(self), Committee: h.com, Signer: crypto.NewSigner(h.keys[self], h.com.Cluster())}
	change(&cfg)
	o, err := New(cfg, h.stores[self], h.outs[self])
	if err != nil {
		h.t.Fatal(err)
	}
	o.SetTree(h.tree)
	h.ords[self] = o
	return o
}

// TestUnsolicitedProofsAreDropped: a Byzantine replica pushes proven
// batches the leader never asked it for (it can mint many proofs for one
// digest from its own timestamps). Before the fix they filled the leader's
// table until legitimate proofs were dropped.
func TestUnsolicitedProofsAreDropped(t *testing.T) {
	h := newHarness(t, 4, 1)
	view := viewLedBy(h, 5, 1)
	h.tree.setView(view)
	leader := h.ords[1]
	if _, ok := leader.Build(h.now, view, h.tree.genesis, false); ok {
		t.Fatal("built before any reply")
	}
	h.drain(1)
	raw := h.newBatch(0, 1)
	var flood []*wire.SequencedBatch
	for k := int64(0); k < 50; k++ {
		flood = append(flood, &wire.SequencedBatch{Batch: raw, Ts: 100 + k, Proof: h.mintProof(raw, 100+k)})
	}
	_ = leader.Step(h.now, 3, &wire.Message{Body: &wire.Message_SequencedResponse{SequencedResponse: &wire.SequencedResponse{Batches: flood}}})
	if len(leader.known) != 0 {
		t.Fatalf("the leader holds %d unsolicited proven batches", len(leader.known))
	}
	// Listed and asked for, but served at another ts: dropped too.
	c := leader.round
	coll := &wire.Collect{View: c.view, Parent: c.parent[:], Boundary: c.boundary}
	rep := h.signedReply(3, coll, []*wire.SlotEntry{{Digest: flood[0].Batch[:0:0], Ts: 0}})
	d := digestOf(raw)
	rep = h.signedReply(3, coll, []*wire.SlotEntry{{Digest: d[:], Ts: 100}})
	_ = leader.Step(h.now, 3, &wire.Message{Body: &wire.Message_CollectReply{CollectReply: rep}})
	_ = leader.Step(h.now, 3, &wire.Message{Body: &wire.Message_SequencedResponse{SequencedResponse: &wire.SequencedResponse{Batches: flood[1:]}}})
	if len(leader.known) != 0 {
		t.Fatalf("the leader holds %d batches at timestamps the sender did not list", len(leader.known))
	}
	_ = leader.Step(h.now, 3, &wire.Message{Body: &wire.Message_SequencedResponse{SequencedResponse: &wire.SequencedResponse{Batches: flood[:1]}}})
	if len(leader.known) != 1 {
		t.Fatalf("the leader holds %d batches, want the one it asked for", len(leader.known))
	}
}

// TestFetchServingIsBounded: a request naming one large body 1,024 times is
// answered with it once, and a peer's requests stop being served when its
// byte budget is spent (before the fix the response was built for every
// repetition, 4 GB for a 4 MB body).
func TestFetchServingIsBounded(t *testing.T) {
	h := newHarness(t, 4, 1)
	const body = 1 << 20
	o := h.ordererWith(0, func(c *Config) { c.MaxServeBytes = 4 * body; c.ServeBurstBytes = 8 * body; c.ServeBytesPerSec = body })
	id := h.clientID(0)
	big := wire.Marshal(&wire.Batch{Submitter: id[:], Nonce: 1, Commands: []*wire.Command{{ClientId: id[:], Seq: 1, Payload: make([]byte, body)}}})
	h.stepClient(0, id, &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: big}}})
	d := digestOf(big)
	var req [][]byte
	for i := 0; i < 1024; i++ {
		req = append(req, d[:])
	}
	served := func() int {
		_ = o.Step(h.now, 2, &wire.Message{Body: &wire.Message_BatchRequest{BatchRequest: &wire.BatchRequest{Digests: req}}})
		out := h.drain(0)
		n := 0
		for _, e := range out.Messages {
			if r := e.Msg.GetBatchResponse(); r != nil {
				n += len(r.Batches)
			}
		}
		return n
	}
	if n := served(); n != 1 {
		t.Fatalf("served %d copies of one digest, want 1", n)
	}
	total := 1
	for i := 0; i < 20; i++ {
		total += served()
	}
	if total > 8 {
		t.Fatalf("served %d MiB to one peer at once, its budget is 8 MiB", total)
	}
	if total < 8 {
		t.Fatalf("served %d MiB, want the whole 8 MiB budget", total)
	}
	h.now += 2_000_000 // two seconds refill two more
	// A response may overshoot the budget by the one batch that crossed it.
	if n := served(); n < 1 || n > 3 {
		t.Fatalf("after a 2 MiB refill served %d MiB", n)
	}
	// Another peer has its own budget.
	_ = o.Step(h.now, 3, &wire.Message{Body: &wire.Message_BatchRequest{BatchRequest: &wire.BatchRequest{Digests: req[:1]}}})
	if out := h.drain(0); len(out.Messages) != 1 {
		t.Fatal("one peer's spent budget stopped serving another")
	}
}

// TestUnsequencedBodiesAreBoundedPerClient: a client that timestamps
// batches it never sequences is refused once it holds its share, in count
// and in bytes, and another client is still served (before the fix one
// client could hold the whole table and every request then scanned it).
func TestUnsequencedBodiesAreBoundedPerClient(t *testing.T) {
	h := newHarness(t, 4, 2)
	h.ordererWith(0, func(c *Config) { c.ClientBodies = 10; c.ClientBodyBytes = 64 << 10; c.MaxBodies = 1000 })
	flood, other := h.clientID(0), h.clientID(1)
	ask := func(from crypto.ClientID, raw []byte) string {
		for _, m := range h.stepClient(0, from, &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: raw}}}) {
			if m.GetTimestampReply() != nil {
				return ""
			}
			if r := m.GetRejected(); r != nil {
				return r.Reason
			}
		}
		return "no answer"
	}
	for i := 0; i < 10; i++ {
		if reason := ask(flood, h.newBatch(0, uint64(i+1))); reason != "" {
			t.Fatalf("request %d refused: %s", i, reason)
		}
	}
	if reason := ask(flood, h.newBatch(0, 11)); !strings.Contains(reason, "share") {
		t.Fatalf("the 11th unsequenced batch of one client got %q, want a refusal naming its share", reason)
	}
	if reason := ask(other, h.newBatch(1, 1)); reason != "" {
		t.Fatalf("another client refused: %s", reason)
	}
	// Bytes: one client's large batches stop at its byte share.
	h.ordererWith(0, func(c *Config) { c.ClientBodyBytes = 64 << 10 })
	idb := h.clientID(1)
	large := func(n uint64) []byte {
		return wire.Marshal(&wire.Batch{Submitter: idb[:], Nonce: n, Commands: []*wire.Command{{ClientId: idb[:], Seq: n, Payload: make([]byte, 30<<10)}}})
	}
	if ask(other, large(100)) != "" || ask(other, large(101)) != "" {
		t.Fatal("two 30 KiB batches refused under a 64 KiB share")
	}
	if reason := ask(other, large(102)); !strings.Contains(reason, "share") {
		t.Fatalf("a third 30 KiB batch got %q, want a refusal naming the share", reason)
	}
	// Once a committed boundary passes their timestamps the bodies expire
	// and the client is served again.
	h.ords[0].committedT = h.ords[0].lastTS + 1
	h.now += 10
	if reason := ask(other, large(103)); reason != "" {
		t.Fatalf("after expiry: %s", reason)
	}
}

// TestNoSecondTimestampForABlockedDigest: a replica does not hand out a new
// timestamp for a digest a block holds, also after a restart emptied its
// memory of committed digests (the first step of the poisoned-reply attack:
// fresh timestamps for a committed batch).
func TestNoSecondTimestampForABlockedDigest(t *testing.T) {
	s := newChainScene(t)
	h := s.h
	for _, i := range []int{0, 3} { // 3 restarted after the commit
		got := h.stepClient(i, h.clientID(0), &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: s.raw}}})
		if len(got) != 1 || got[0].GetRejected() == nil {
			t.Fatalf("replica %d answered %v to a timestamp request for a committed digest, want a refusal", i, got)
		}
	}
}

// TestRestartDropsStaleSequenced: after a restart the committed slot
// boundary comes back from the committed block, and a sequenced batch it
// has passed is dropped rather than reported as pending work (which kept
// the core's view timers running in an idle cluster).
func TestRestartDropsStaleSequenced(t *testing.T) {
	s := newChainScene(t)
	h := s.h
	stale := h.newBatch(0, 7)
	w := &storage.Batch{}
	d := digestOf(stale)
	w.Put(storage.Key(prefixSequenced, d[:]), wire.Marshal(&wire.SequencedBatch{Batch: stale, Ts: s.t1 - 1, Proof: h.mintProof(stale, s.t1-1)}))
	h.persist(0, w)
	h.start(0)
	if h.ords[0].committedT != s.t1 {
		t.Fatalf("committed boundary after restart %d, want %d", h.ords[0].committedT, s.t1)
	}
	if h.ords[0].Pending() {
		t.Fatal("a sequenced batch below the committed boundary is still pending after a restart")
	}
}
