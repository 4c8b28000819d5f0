package batch

import (
	"github.com/pompe-bft/pompe/internal/crypto"
)

// Allowlist is the set of clients a cluster admits, from its genesis
// (docs/protocol.md section 7, "Admission"). It is immutable once built, so
// every correct replica of one genesis holds the same set and a batch's
// admission depends on the batch alone. A nil *Allowlist admits every
// client (an open cluster).
type Allowlist struct {
	ids map[crypto.ClientID]struct{}
}

// NewAllowlist builds the set of the clients owning keys. An empty list
// gives nil: an open cluster, not one that admits no client.
func NewAllowlist(keys []crypto.PublicKey) *Allowlist {
	if len(keys) == 0 {
		return nil
	}
	a := &Allowlist{ids: make(map[crypto.ClientID]struct{}, len(keys))}
	for _, k := range keys {
		a.ids[crypto.ClientIDOf(k)] = struct{}{}
	}
	return a
}

// Admits reports whether the client may submit batches. A nil Allowlist
// admits every client.
func (a *Allowlist) Admits(id crypto.ClientID) bool {
	if a == nil {
		return true
	}
	_, ok := a.ids[id]
	return ok
}

// Len is the number of listed clients (0 for an open cluster).
func (a *Allowlist) Len() int {
	if a == nil {
		return 0
	}
	return len(a.ids)
}
