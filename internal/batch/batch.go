package batch

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Digest is SHA-256 of a serialized batch.
type Digest [32]byte

// DigestOf hashes serialized batch bytes.
func DigestOf(raw []byte) Digest { return sha256.Sum256(raw) }

// DigestFromBytes converts a wire digest, checking its length.
func DigestFromBytes(b []byte) (Digest, error) {
	var d Digest
	if len(b) != len(d) {
		return d, fmt.Errorf("batch: digest is %d bytes, want 32", len(b))
	}
	copy(d[:], b)
	return d, nil
}

func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// Short is a log-friendly prefix of the digest.
func (d Digest) Short() string { return hex.EncodeToString(d[:6]) }

// Less orders digests bytewise.
func (d Digest) Less(o Digest) bool {
	for i := range d {
		if d[i] != o[i] {
			return d[i] < o[i]
		}
	}
	return false
}

// Limits bound what a replica accepts in one batch.
type Limits struct {
	MaxBytes    int
	MaxCommands int
	// Clients, if set, is the genesis allowlist: a batch whose submitter
	// is not on it is refused wherever it is decoded (from a client, a
	// peer, a proposal or the store), so no replica holds, acks or votes
	// for it.
	Clients *Allowlist
}

// WithDefaults fills the size limits left at zero from DefaultLimits,
// keeping the allowlist.
func (l Limits) WithDefaults() Limits {
	if l.MaxBytes == 0 && l.MaxCommands == 0 {
		l.MaxBytes, l.MaxCommands = DefaultLimits.MaxBytes, DefaultLimits.MaxCommands
	}
	return l
}

// ErrNotAdmitted refuses a batch whose submitter is not on the genesis
// client allowlist.
var ErrNotAdmitted = errors.New("batch: submitter is not on the genesis client allowlist")

// DefaultLimits suit benchmarks with thousands of small commands a batch.
var DefaultLimits = Limits{MaxBytes: 4 << 20, MaxCommands: 10000}

// Decode parses raw and checks its shape and limits, without ownership.
func Decode(raw []byte, lim Limits) (*wire.Batch, error) {
	if lim.MaxBytes > 0 && len(raw) > lim.MaxBytes {
		return nil, fmt.Errorf("batch: %d bytes exceeds limit %d", len(raw), lim.MaxBytes)
	}
	b, err := wire.DecodeBatch(raw)
	if err != nil {
		return nil, err
	}
	if len(b.Commands) == 0 {
		return nil, errors.New("batch: no commands")
	}
	if lim.MaxCommands > 0 && len(b.Commands) > lim.MaxCommands {
		return nil, fmt.Errorf("batch: %d commands exceeds limit %d", len(b.Commands), lim.MaxCommands)
	}
	if len(b.Submitter) != crypto.ClientIDBytes {
		return nil, fmt.Errorf("batch: submitter id is %d bytes", len(b.Submitter))
	}
	if lim.Clients != nil {
		var id crypto.ClientID
		copy(id[:], b.Submitter)
		if !lim.Clients.Admits(id) {
			return nil, ErrNotAdmitted
		}
	}
	return b, nil
}

// CheckOwned decodes raw and checks that the submitter and every command
// belong to owner, the client id of the connection the batch arrived on.
func CheckOwned(raw []byte, owner crypto.ClientID, lim Limits) (*wire.Batch, error) {
	b, err := Decode(raw, lim)
	if err != nil {
		return nil, err
	}
	if string(b.Submitter) != string(owner[:]) {
		return nil, errors.New("batch: submitter is not the connection's client")
	}
	for i, c := range b.Commands {
		if string(c.ClientId) != string(owner[:]) {
			return nil, fmt.Errorf("batch: command %d belongs to another client", i)
		}
	}
	return b, nil
}
