package batch

import (
	"errors"
	"testing"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// TestAllowlist: a genesis allowlist admits exactly its clients wherever a
// batch is decoded; an empty list is an open cluster, not a closed one.
func TestAllowlist(t *testing.T) {
	k1, _ := crypto.GenerateKey(nil)
	k2, _ := crypto.GenerateKey(nil)
	listed, unlisted := crypto.ClientIDOf(k1.Public()), crypto.ClientIDOf(k2.Public())
	only := NewAllowlist([]crypto.PublicKey{k1.Public()})
	tests := []struct {
		name    string
		list    *Allowlist
		client  crypto.ClientID
		refused bool
	}{
		{"open cluster", NewAllowlist(nil), unlisted, false},
		{"listed", only, listed, false},
		{"unlisted", only, unlisted, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.list.Admits(tc.client); got == tc.refused {
				t.Fatalf("Admits = %v", got)
			}
			lim := DefaultLimits
			lim.Clients = tc.list
			for _, decode := range []func() error{
				func() error { _, err := Decode(rawBatch(tc.client[:], tc.client), lim); return err },
				func() error { return CheckOwned(rawBatch(tc.client[:], tc.client), tc.client, lim) },
			} {
				if err := decode(); errors.Is(err, ErrNotAdmitted) != tc.refused || (!tc.refused && err != nil) {
					t.Fatalf("decode: %v, want refused=%v", err, tc.refused)
				}
			}
		})
	}
	if (Limits{Clients: only}).WithDefaults() != (Limits{MaxBytes: DefaultLimits.MaxBytes, MaxCommands: DefaultLimits.MaxCommands, Clients: only}) {
		t.Fatal("WithDefaults dropped the allowlist or the size limits")
	}
}
