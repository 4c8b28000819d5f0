package mempool

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/wire"
)

// TestAllowlistRefusesUnlistedSubmitters: in a cluster whose genesis lists
// only alice, a body bob signed is refused from bob's own connection, and a
// block proposing it (a Byzantine leader holding bob's key, or bob's body
// relayed by a replica with another list) is invalid at every replica, while
// alice's body passes both ways. The verdict depends only on the body and
// the genesis.
func TestAllowlistRefusesUnlistedSubmitters(t *testing.T) {
	onlyAlice := batch.Limits{Clients: batch.NewAllowlist([]crypto.PublicKey{aliceKey.Public()})}
	tests := []struct {
		name   string
		client crypto.ClientID
		want   hotstuff.Verdict
	}{
		{"listed client", alice, hotstuff.Valid},
		{"unlisted client", bob, hotstuff.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := raw(tc.client, 1, 1)
			h := newHarness(t, Config{Self: 0, Limits: onlyAlice})
			err := h.m.Submit(1, tc.client, body)
			if (err == nil) != (tc.want == hotstuff.Valid) {
				t.Fatalf("submit from its own connection: %v", err)
			}

			h2 := newHarness(t, Config{Self: 2, Limits: onlyAlice})
			d := batch.DigestOf(body)
			b := h2.block(h2.genesis, 1, payload(d))
			h2.m.Validate(10, b, h2.genesis)
			h2.m.OnResponse(11, &wire.BatchResponse{Batches: [][]byte{body}})
			if v, err := h2.m.Validate(12, b, h2.genesis); v != tc.want {
				t.Fatalf("proposed body: verdict %v (%v), want %v", v, err, tc.want)
			}
		})
	}
}
