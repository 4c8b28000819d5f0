package ordering

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/wire"
)

// TestDeltaGrowsOnlyOnEvidence pins docs/protocol.md section 3.1: a retry widens delta
// only with a valid proof of an earlier attempt that a committed boundary
// overtook, and by what that attempt needed. Before, any timestamp request
// with a non-zero attempt counter doubled delta, so one client could hold
// it at its cap.
func TestDeltaGrowsOnlyOnEvidence(t *testing.T) {
	h := newHarness(t, 4, 1)
	id := h.clientID(0)
	prev := h.newBatch(0, 1)
	const ts, boundary = 2_000_000, 2_003_000 // the slot closed 3 ms above ts
	good := h.mintProof(prev, ts)
	d := digestOf(prev)
	forged := h.mintProof(prev, ts)
	forged.Certs[0].Sig = append([]byte(nil), forged.Certs[1].Sig...)
	cases := []struct {
		name     string
		evidence *wire.RetryEvidence
		grow     int64
	}{
		{"bare retry counter", nil, 0},
		{"valid evidence", &wire.RetryEvidence{Digest: d[:], Ts: ts, Proof: good}, boundary - ts},
		{"not yet overtaken", &wire.RetryEvidence{Digest: d[:], Ts: boundary + 10, Proof: h.mintProof(prev, boundary+10)}, 0},
		{"bad proof", &wire.RetryEvidence{Digest: d[:], Ts: ts, Proof: forged}, 0},
		{"proof for another ts", &wire.RetryEvidence{Digest: d[:], Ts: ts - 1, Proof: good}, 0},
		{"older than the boundaries kept", &wire.RetryEvidence{Digest: d[:], Ts: 10, Proof: h.mintProof(prev, 10)}, 0},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := h.ordererWith(1, func(*Config) {})
			o.noteCommittedBoundary(1_000_000)
			o.noteCommittedBoundary(boundary)
			o.now, o.deltaAt = h.now, h.now
			before := o.delta
			retry := wire.Marshal(&wire.Batch{Submitter: id[:], Attempt: 1, Nonce: uint64(100 + i), Commands: []*wire.Command{{ClientId: id[:], Seq: 1, Payload: []byte("x")}}})
			h.stepClient(1, id, &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: retry, Retry: tc.evidence}}})
			o.adaptDelta()
			if got := o.delta - before; got != tc.grow {
				t.Fatalf("delta grew by %d µs, want %d", got, tc.grow)
			}
		})
	}
}
