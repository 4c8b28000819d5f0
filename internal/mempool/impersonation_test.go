package mempool

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/wire"
)

// TestProposedBodyMustBeItsSubmitters: a Byzantine leader (replica 1, also
// the client bob) proposes a body that puts commands in alice's name. The
// replica does not hold the body, fetches it, and must refuse the block
// whatever the forgery; a body alice signed passes. The old code decoded
// fetched bodies without any ownership check and voted for every forgery.
func TestProposedBodyMustBeItsSubmitters(t *testing.T) {
	bobsCommandAsAlice := unsigned(bob, 7, 1)
	bobsCommandAsAlice.Commands[0].ClientId = append([]byte(nil), alice[:]...)
	wrongCluster := batch.Sign(unsigned(alice, 3, 1), aliceKey, []byte("another cluster"))
	tests := []struct {
		name string
		body []byte
		want hotstuff.Verdict
	}{
		{"signed by alice", raw(alice, 1, 1), hotstuff.Valid},
		{"alice's id and sequence number, unsigned", wire.Marshal(unsigned(alice, 1, 1)), hotstuff.Invalid},
		{"alice's id, signed by bob", batch.Sign(unsigned(alice, 1, 1), bobKey, testCluster), hotstuff.Invalid},
		{"bob's batch holding a command in alice's name", batch.Sign(bobsCommandAsAlice, bobKey, testCluster), hotstuff.Invalid},
		{"alice's signature for another cluster", wrongCluster, hotstuff.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{Self: 0})
			d := batch.DigestOf(tc.body)
			b := h.block(h.genesis, 1, payload(d))
			if v, err := h.m.Validate(10, b, h.genesis); v != hotstuff.Wait {
				t.Fatalf("without the body: %v (%v), want Wait", v, err)
			}
			h.drain()
			h.m.OnResponse(11, &wire.BatchResponse{Batches: [][]byte{tc.body}})
			v, err := h.m.Validate(12, b, h.genesis)
			if v != tc.want {
				t.Fatalf("verdict %v (%v), want %v", v, err, tc.want)
			}
			// The verdict is the body's: a second replica that gets the
			// same body from another peer decides alike.
			h2 := newHarness(t, Config{Self: 2})
			b2 := h2.block(h2.genesis, 1, payload(d))
			h2.m.Validate(10, b2, h2.genesis)
			h2.m.OnResponse(11, &wire.BatchResponse{Batches: [][]byte{tc.body}})
			if v2, _ := h2.m.Validate(12, b2, h2.genesis); v2 != v {
				t.Fatalf("second replica: %v, first %v", v2, v)
			}
		})
	}
}

// TestSubmittedBodyMustBeSigned: a client connection cannot hand in an
// unsigned body, or one signed by another key, even in its own name.
func TestSubmittedBodyMustBeSigned(t *testing.T) {
	for _, body := range [][]byte{
		wire.Marshal(unsigned(alice, 1, 1)),
		batch.Sign(unsigned(alice, 1, 1), bobKey, testCluster),
	} {
		h := newHarness(t, Config{})
		if err := h.m.Submit(1, alice, body); err == nil || h.m.Len() != 0 {
			t.Fatalf("accepted a body alice did not sign (err %v)", err)
		}
	}
}
