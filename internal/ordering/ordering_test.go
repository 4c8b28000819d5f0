package ordering

import (
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

func all(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func firstQ(certs map[uint32]*wire.TimestampCert, q int) []uint32 {
	var ids []uint32
	for r := range certs {
		ids = append(ids, r)
	}
	slices.Sort(ids)
	return ids[:q]
}

// TestQuorumIntersection pins the argument of docs/protocol.md section 3.4 on the real
// ordering layer: under any interleaving of sequence requests, collects (to
// any 2f+1 replicas) and crash-restarts, every batch that 2f+1 replicas acked
// with ts below a collect's boundary is listed by at least one reply of that
// collect, and no replica acks a timestamp at or below a boundary it promised.
func TestQuorumIntersection(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.SampledFrom([]int{4, 7}).Draw(rt, "n")
		h := newHarness(t, n, 2)
		type tracked struct {
			raw   []byte
			d     batch.Digest
			ts    int64
			proof *wire.SequenceProof
			acks  map[int]bool
			tried map[int]bool
		}
		var batches []*tracked
		promised := make([]int64, n)
		view := uint64(n) // leaders rotate with the view
		steps := rapid.IntRange(5, 60).Draw(rt, "steps")
		for s := 0; s < steps; s++ {
			switch rapid.IntRange(0, 9).Draw(rt, "op") {
			case 0, 1, 2: // a client timestamps a new batch at every replica
				k := rapid.IntRange(0, 1).Draw(rt, "client")
				raw := h.newBatch(k, uint64(s+1))
				certs := h.timestamps(h.clientID(k), raw, all(n))
				if len(certs) != n {
					rt.Fatalf("only %d of %d replicas timestamped a valid batch", len(certs), n)
				}
				// A client may pick any 2f+1 certificates (docs/protocol.md section 6).
				ids := rapid.Permutation(firstQ(certs, n)).Draw(rt, "certs")[:h.q]
				slices.Sort(ids)
				p, ts := h.proofOf(certs, ids)
				batches = append(batches, &tracked{raw: raw, d: digestOf(raw), ts: ts, proof: p, acks: map[int]bool{}, tried: map[int]bool{}})
			case 3, 4, 5, 6: // a sequence request reaches one replica
				if len(batches) == 0 {
					continue
				}
				b := batches[rapid.IntRange(0, len(batches)-1).Draw(rt, "batch")]
				i := rapid.IntRange(0, n-1).Draw(rt, "replica")
				if b.tried[i] {
					continue
				}
				b.tried[i] = true
				acked, reason := h.sequence(i, crypto.ClientID{}, b.raw, b.ts, b.proof)
				if acked {
					if b.ts <= promised[i] {
						rt.Fatalf("replica %d acked ts %d after promising %d", i, b.ts, promised[i])
					}
					b.acks[i] = true
				} else if !strings.Contains(reason, "promised") {
					rt.Fatalf("replica %d rejected a valid sequence request: %s", i, reason)
				}
			case 7, 8: // a leader collects from 2f+1 replicas other than itself
				view++
				leader := int(h.tree.Leader(view))
				var others []int
				for i := 0; i < n; i++ {
					if i != leader {
						others = append(others, i)
					}
				}
				set := rapid.Permutation(others).Draw(rt, "collect set")[:h.q]
				boundary := h.now - rapid.Int64Range(0, 400).Draw(rt, "slack")
				listed := make(map[batch.Digest]bool)
				for _, i := range set {
					r := h.collect(i, view, boundary)
					if r == nil {
						rt.Fatalf("replica %d refused a valid collect", i)
					}
					if boundary > promised[i] {
						promised[i] = boundary
					}
					for _, e := range r.Entries {
						d, _ := batch.DigestFromBytes(e.Digest)
						listed[d] = true
						if e.Ts >= boundary {
							rt.Fatalf("replica %d listed ts %d at or above the boundary %d", i, e.Ts, boundary)
						}
					}
				}
				for _, b := range batches {
					if len(b.acks) >= h.q && b.ts < boundary && !listed[b.d] {
						rt.Fatalf("batch with ts %d acked by %d replicas is missing from a collect below %d", b.ts, len(b.acks), boundary)
					}
				}
			case 9: // a replica crashes and restarts from its disk
				i := rapid.IntRange(0, n-1).Draw(rt, "restart")
				h.stores[i].Crash()
				h.start(i)
			}
		}
	})
}

// TestImpersonationGetsNoTimestamps pins docs/protocol.md section 7: a correct
// replica timestamps a batch only if every command carries the client id of
// the connection it arrived on. An impostor (a Byzantine replica acting as a
// client) gets at most the f timestamps of Byzantine replicas, cannot build a
// proof, and the real client's command with the same sequence number is
// sequenced normally.
func TestImpersonationGetsNoTimestamps(t *testing.T) {
	h := newHarness(t, 4, 2)
	victim, impostor := h.clientID(0), h.clientID(1)
	forged := func(submitter crypto.ClientID) []byte {
		return wire.Marshal(&wire.Batch{Submitter: submitter[:], Nonce: 99, Commands: []*wire.Command{{ClientId: victim[:], Seq: 1, Payload: []byte("front-run")}}})
	}
	for _, raw := range [][]byte{forged(impostor), forged(victim)} {
		certs := h.timestamps(impostor, raw, []int{0, 1, 2}) // replica 3 is the Byzantine accomplice
		if len(certs) != 0 {
			t.Fatalf("correct replicas timestamped a batch carrying another client's command: %v", certs)
		}
		// The accomplice signs whatever it likes; with f signatures and
		// duplicates no proof passes a correct replica.
		d := digestOf(raw)
		leaf := tsproof.Leaf(h.com.Cluster(), 3, d[:], h.now)
		tree, _ := tsproof.Build([]tsproof.Hash{leaf})
		sig := crypto.NewSigner(h.keys[3], h.com.Cluster()).Sign(crypto.DomainTSRoot, crypto.U32(3), tree.Root[:], crypto.U32(1))
		c := &wire.TimestampCert{Replica: 3, Ts: h.now, Root: tree.Root[:], LeafCount: 1, Sig: sig}
		proof := &wire.SequenceProof{Certs: []*wire.TimestampCert{c, c, c}}
		for i := 0; i < 3; i++ {
			if acked, _ := h.sequence(i, impostor, raw, h.now, proof); acked {
				t.Fatalf("replica %d sequenced the forged batch", i)
			}
		}
	}
	// The real command (same client id and sequence number) goes through.
	raw := h.newBatch(0, 1)
	certs := h.timestamps(victim, raw, all(4))
	p, ts := h.proofOf(certs, firstQ(certs, h.q))
	for i := 0; i < 4; i++ {
		if acked, reason := h.sequence(i, victim, raw, ts, p); !acked {
			t.Fatalf("replica %d refused the real command: %s", i, reason)
		}
	}
}

func TestTimestampsIncreaseAcrossRestartsAndClockJumps(t *testing.T) {
	h := newHarness(t, 4, 1)
	var last int64
	for round := 0; round < 5; round++ {
		raw := h.newBatch(0, uint64(round+1))
		certs := h.timestamps(h.clientID(0), raw, []int{0})
		c, ok := certs[0]
		if !ok {
			t.Fatal("no timestamp")
		}
		if c.Ts <= last {
			t.Fatalf("round %d: timestamp %d not above the previous %d", round, c.Ts, last)
		}
		last = c.Ts
		// Crash (losing nothing synced) and restart with the clock set back.
		h.stores[0].Crash()
		h.start(0)
		h.now -= 5_000_000
	}
}

func TestSequenceRequestRules(t *testing.T) {
	h := newHarness(t, 4, 1)
	id := h.clientID(0)
	raw := h.newBatch(0, 1)
	certs := h.timestamps(id, raw, all(4))
	good, ts := h.proofOf(certs, []uint32{0, 1, 2})
	upper, tsUpper := h.proofOf(certs, []uint32{1, 2, 3})
	h.start(3) // replica 3 restarts and forgets the unsequenced body

	if r := h.collect(1, 6, ts); r == nil { // replica 1 promises the boundary ts (view 6 is led by 2)
		t.Fatal("collect refused")
	}
	cases := []struct {
		name    string
		replica int
		raw     []byte
		ts      int64
		proof   *wire.SequenceProof
		ack     bool
		reason  string
	}{
		{"median of a wrong subset", 0, raw, ts + 1, good, false, "median"},
		{"too few certificates", 0, raw, ts, &wire.SequenceProof{Certs: good.Certs[:2]}, false, "exactly"},
		{"duplicate signer", 0, raw, good.Certs[0].Ts, &wire.SequenceProof{Certs: []*wire.TimestampCert{good.Certs[0], good.Certs[0], good.Certs[0]}}, false, "twice"},
		{"body does not match", 3, h.newBatch(0, 2), ts, good, false, "does not hash"},
		{"unknown batch without body", 3, nil, ts, good, false, "include its body"},
		{"valid", 0, raw, ts, good, true, ""},
		{"same again: same ack", 0, raw, ts, good, true, ""},
		{"other ts for the same digest", 0, raw, tsUpper, upper, tsUpper == ts, "another timestamp"},
		{"at the promise", 1, raw, ts, good, false, "promised"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := digestOf(raw)
			var got []*wire.ClientMessage
			got = h.stepClient(tc.replica, id, &wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: &wire.SequenceRequest{Digest: d[:], Ts: tc.ts, Proof: tc.proof, Batch: tc.raw}}})
			if len(got) != 1 {
				t.Fatalf("got %d answers, want 1", len(got))
			}
			ack, rej := got[0].GetSequenceAck(), got[0].GetSequenceReject()
			if tc.ack != (ack != nil) {
				t.Fatalf("ack=%v, want %v (reject: %v)", ack != nil, tc.ack, rej)
			}
			if rej != nil && !strings.Contains(rej.Reason, tc.reason) {
				t.Fatalf("reject reason %q does not mention %q", rej.Reason, tc.reason)
			}
		})
	}
}

func TestCollectRules(t *testing.T) {
	h := newHarness(t, 4, 1)
	// Only the view's leader may collect.
	h.tree.setView(5)
	c := &wire.Collect{View: 5, Parent: h.tree.genesis.Hash[:], Boundary: h.now}
	if err := h.ords[2].Step(h.now, 3, &wire.Message{Body: &wire.Message_Collect{Collect: c}}); err == nil {
		t.Fatal("collect from a non-leader accepted")
	}
	if o := h.drain(2); len(o.Messages) != 0 {
		t.Fatal("answered a non-leader")
	}
	// A boundary beyond the clock plus skew is refused.
	if r := h.collect(2, 5, h.now+10_000_000); r != nil {
		t.Fatal("answered a boundary far in the future")
	}
	// A valid collect is answered once per view, and the promise is written
	// before the reply leaves.
	h.tree.setView(7)
	h.now += 10
	c = &wire.Collect{View: 7, Parent: h.tree.genesis.Hash[:], Boundary: h.now - 5}
	_ = h.ords[2].Step(h.now, h.tree.Leader(7), &wire.Message{Body: &wire.Message_Collect{Collect: c}})
	o := h.drain(2)
	wrote := false
	for _, op := range o.Writes.Ops {
		if len(op.Key) == 1 && op.Key[0] == prefixLocalSync {
			wrote = true
		}
	}
	if !wrote || len(o.Messages) != 1 {
		t.Fatalf("promise written=%v, replies=%d: want the promise in the same Ready as the reply", wrote, len(o.Messages))
	}
	// The reply leaves early, behind the promise mark: a barrier.
	if !o.Barrier || !o.Messages[0].Early {
		t.Fatalf("barrier %v, early reply %v: want an early reply behind a barrier", o.Barrier, o.Messages[0].Early)
	}
	h.persist(2, &o.Writes)
	if r := h.collect(2, 7, h.now-1); r != nil {
		t.Fatal("answered a second collect for the same view with another boundary")
	}
	// After a crash the promise survives.
	h.stores[2].Crash()
	h.start(2)
	if got := h.ords[2].localSync; got < c.Boundary || got > c.Boundary+promiseStepUs {
		t.Fatalf("promise after restart %d, want the mark, in [%d, %d]", got, c.Boundary, c.Boundary+promiseStepUs)
	}
}
