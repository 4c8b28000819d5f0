package ordering

import (
	"fmt"
	"testing"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

// The benchmarks drive the ordering layer through its API, as a replica's
// loop does: client and replica messages in, outboxes drained. Setup (the
// batches, their timestamps and proofs) is outside the timed part.

// benchWindowUs keeps a signing window open until it is full or ticked.
const benchWindowUs = 1_000_000_000

// benchOrderer is a fresh ordering layer of replica self on harness h's
// committee, with a signing window of up to windowRequests requests and
// room for capacity batches.
func benchOrderer(b testing.TB, h *harness, self int, windowRequests, capacity int) (*Orderer, *outbox.Outbox) {
	b.Helper()
	out := &outbox.Outbox{}
	o, err := New(Config{
		Self: uint32(self), Committee: h.com, Signer: crypto.NewSigner(h.keys[self], h.com.Cluster()),
		WindowUs: benchWindowUs, WindowMaxRequests: windowRequests,
		// One client submits everything: its share is a quarter of MaxPending.
		MaxBodies: capacity + 1, MaxPending: 4 * (capacity + 1),
	}, storage.NewMem(), out)
	if err != nil {
		b.Fatal(err)
	}
	o.SetTree(h.tree)
	return o, out
}

func timestampRequest(raw []byte) *wire.ClientMessage {
	return &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: raw}}}
}

// sequencedBatch is a batch with the proof a client would send.
type sequencedBatch struct {
	raw   []byte
	ts    int64
	proof *wire.SequenceProof
}

// proven returns count batches of client 0, each timestamped by a quorum
// of replicas (1..q) whose signing windows hold windowRequests requests,
// with the median timestamp and its proof.
func proven(b testing.TB, h *harness, count, windowRequests int) []sequencedBatch {
	b.Helper()
	client := h.clientID(0)
	raws := make([][]byte, count)
	for i := range raws {
		raws[i] = h.newBatch(0, uint64(i+1))
	}
	certs := make([]map[uint32]*wire.TimestampCert, count)
	for i := range certs {
		certs[i] = make(map[uint32]*wire.TimestampCert, h.q)
	}
	index := make(map[string]int, count)
	for i, raw := range raws {
		d := digestOf(raw)
		index[string(d[:])] = i
	}
	for r := 1; r <= h.q; r++ {
		o, out := benchOrderer(b, h, r, windowRequests, count)
		for _, raw := range raws {
			h.now++
			if err := o.StepClient(h.now, client, timestampRequest(raw)); err != nil {
				b.Fatal(err)
			}
		}
		o.Tick(h.now + benchWindowUs)
		o.Flush() // the end of that turn closes the last, partial window
		for _, e := range out.Client {
			if tr := e.Msg.GetTimestampReply(); tr != nil {
				certs[index[string(tr.Digest)]][tr.Cert.Replica] = tr.Cert
			}
		}
	}
	use := make([]uint32, 0, h.q)
	for r := 1; r <= h.q; r++ {
		use = append(use, uint32(r))
	}
	batches := make([]sequencedBatch, count)
	for i, raw := range raws {
		if len(certs[i]) != h.q {
			b.Fatalf("batch %d got %d timestamps, want %d", i, len(certs[i]), h.q)
		}
		p, ts := h.proofOf(certs[i], use)
		batches[i] = sequencedBatch{raw: raw, ts: ts, proof: p}
	}
	return batches
}

func sequenceRequest(s sequencedBatch) *wire.ClientMessage {
	d := digestOf(s.raw)
	return &wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: &wire.SequenceRequest{
		Digest: d[:], Ts: s.ts, Proof: s.proof, Batch: s.raw}}}
}

// sequenceAll has o sequence every batch, failing on a reject.
func sequenceAll(b testing.TB, h *harness, o *Orderer, out *outbox.Outbox, batches []sequencedBatch) {
	b.Helper()
	for _, s := range batches {
		h.now++
		if err := o.StepClient(h.now, h.clientID(0), sequenceRequest(s)); err != nil {
			b.Fatal(err)
		}
	}
	for _, e := range out.Client {
		if rej := e.Msg.GetSequenceReject(); rej != nil {
			b.Fatalf("sequence request rejected: %s", rej.Reason)
		}
	}
	*out = outbox.Outbox{}
}

// BenchmarkTimestampRequest is one timestamp request: checking the batch,
// assigning the timestamp, and a share of its window's Merkle tree and
// signature.
func BenchmarkTimestampRequest(b *testing.B) {
	for _, window := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("window=%d", window), func(b *testing.B) {
			h := newHarness(b, 4, 1)
			o, out := benchOrderer(b, h, 1, window, b.N)
			msgs := make([]*wire.ClientMessage, b.N)
			for i := range msgs {
				msgs[i] = timestampRequest(h.newBatch(0, uint64(i+1)))
			}
			client := h.clientID(0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h.now++
				if err := o.StepClient(h.now, client, msgs[i]); err != nil {
					b.Fatal(err)
				}
				if len(out.Client) >= 1024 {
					*out = outbox.Outbox{}
				}
			}
		})
	}
}

// BenchmarkSequenceRequest is one sequence request with a proof of 2f+1
// certificates. Cold: every certificate has a root signature of its own
// (windows of one request), so each request verifies 2f+1 signatures.
// Cached: windows of 256 requests share their signatures, which the
// verifier checks once and then only walks Merkle paths.
func BenchmarkSequenceRequest(b *testing.B) {
	for _, c := range []struct {
		name   string
		window int
	}{{"cold", 1}, {"cached", 256}} {
		b.Run(c.name, func(b *testing.B) {
			h := newHarness(b, 4, 1)
			batches := proven(b, h, b.N, c.window)
			o, out := benchOrderer(b, h, 0, 256, b.N)
			client := h.clientID(0)
			msgs := make([]*wire.ClientMessage, b.N)
			for i := range msgs {
				msgs[i] = sequenceRequest(batches[i])
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h.now++
				if err := o.StepClient(h.now, client, msgs[i]); err != nil {
					b.Fatal(err)
				}
				if len(out.Client) >= 1024 {
					*out = outbox.Outbox{}
				}
			}
		})
	}
}

// BenchmarkCollectReply is a replica answering a leader's collect while it
// holds n sequenced batches inside the slot: selecting, sorting and signing
// the list.
func BenchmarkCollectReply(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			h := newHarness(b, 4, 1)
			batches := proven(b, h, n, 256)
			o, out := benchOrderer(b, h, 1, 256, n)
			sequenceAll(b, h, o, out, batches)
			h.now += 1_000_000
			boundary := h.now - 500_000 // above every timestamp
			view := uint64(4)           // led by replica 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				view += 4
				boundary++
				h.now++
				c := &wire.Collect{View: view, Parent: h.tree.genesis.Hash[:], Boundary: boundary}
				if err := o.Step(h.now, 0, &wire.Message{Body: &wire.Message_Collect{Collect: c}}); err != nil {
					b.Fatal(err)
				}
				if len(out.Messages) != 1 || len(out.Messages[0].Msg.GetCollectReply().GetEntries()) != n {
					b.Fatalf("collect answered with %d messages", len(out.Messages))
				}
				*out = outbox.Outbox{}
			}
		})
	}
}

// BenchmarkValidateSlot is a replica validating a proposed block whose slot
// holds n batches: order and range of the entries, 2f+1 collect reply
// signatures (batch-verified) and every entry's proof. The validating
// replica sequenced the batches itself, as replicas usually have, so their
// proofs are in its cache.
func BenchmarkValidateSlot(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			h := newHarness(b, 4, 1)
			batches := proven(b, h, n, 256)
			ords := make([]*Orderer, h.n)
			outs := make([]*outbox.Outbox, h.n)
			for i := range ords {
				ords[i], outs[i] = benchOrderer(b, h, i, 256, n)
				sequenceAll(b, h, ords[i], outs[i], batches)
			}
			h.now += 1_000_000
			view := uint64(4) // led by replica 0
			h.tree.setView(view)
			genesis := h.tree.genesis
			leader := ords[0]
			if _, ok := leader.Build(h.now, view, genesis, true); ok {
				b.Fatal("slot built before any collect reply")
			}
			routeCollect(b, h, ords, outs)
			payload, ok := leader.Build(h.now, view, genesis, true)
			if !ok {
				b.Fatal("no slot after 2f+1 collect replies")
			}
			blk := &hotstuff.Block{View: view, Height: 1, Parent: genesis.Hash, Proposer: 0, Payload: payload}
			validator, out := ords[2], outs[2]
			*out = outbox.Outbox{}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v, err := validator.Validate(h.now, blk, genesis)
				if v != hotstuff.Valid {
					b.Fatalf("slot of %d entries: verdict %v, %v", n, v, err)
				}
				*out = outbox.Outbox{}
			}
		})
	}
}

// routeCollect delivers the leader's collect to every replica and their
// replies back to the leader (replica 0).
func routeCollect(b testing.TB, h *harness, ords []*Orderer, outs []*outbox.Outbox) {
	b.Helper()
	var collect *wire.Collect
	for _, e := range outs[0].Messages {
		if c := e.Msg.GetCollect(); c != nil {
			collect = c
		}
	}
	if collect == nil {
		b.Fatal("the leader sent no collect")
	}
	*outs[0] = outbox.Outbox{}
	for i := 1; i < h.n; i++ {
		if err := ords[i].Step(h.now, 0, &wire.Message{Body: &wire.Message_Collect{Collect: collect}}); err != nil {
			b.Fatal(err)
		}
		for _, e := range outs[i].Messages {
			if e.To == 0 && e.Msg.GetCollectReply() != nil {
				if err := ords[0].Step(h.now, uint32(i), e.Msg); err != nil {
					b.Fatal(err)
				}
			}
		}
		*outs[i] = outbox.Outbox{}
	}
}

// BenchmarkCarries is the question the consensus core asks of its newest
// blocks after nearly every input: does this slot hold batches? The slot
// here holds 100 proven batches.
func BenchmarkCarries(b *testing.B) {
	h := newHarness(b, 4, 1)
	batches := proven(b, h, 100, 1)
	s := &wire.Slot{Boundary: h.now}
	for _, sb := range batches {
		d := digestOf(sb.raw)
		s.Batches = append(s.Batches, &wire.SlotBatch{Digest: d[:], Ts: sb.ts})
		for _, c := range sb.proof.Certs {
			s.Roots = append(s.Roots, &wire.RootSig{Replica: c.Replica, Root: c.Root, LeafCount: c.LeafCount, Sig: c.Sig})
		}
	}
	payload := wire.Marshal(s)
	o, _ := benchOrderer(b, h, 0, 256, 1)
	b.ReportAllocs()
	for b.Loop() {
		if !o.Carries(payload) {
			b.Fatal("slot with batches does not carry")
		}
	}
}
