package batch

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

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

// CheckOwned checks that raw is within the limits and that its submitter
// and every command belong to owner, the client id of the connection the
// batch arrived on, reading the encoding in place: a timestamp request
// needs the verdict, not the decoded batch, which the sequence request
// decodes once (Decode). Decoding 1,000 commands here as well cost a
// replica 8% of its CPU at batch 1000, and the garbage collector more.
//
// It reads fields as proto.Unmarshal does (the last occurrence of a
// scalar field wins, each occurrence of the repeated commands field is one
// command, a known field number with another wire type is an unknown
// field, skipped), so on every encoding that decodes its verdict is
// Decode's followed by the ownership check (FuzzCheckOwnedAgreesWithDecode).
// On one that does not decode it may accept where Decode refuses, inside a
// command's other fields: that batch then fails its sequence request, and
// only its owner can send it. It allocates nothing, so unlike Decode it
// needs no bound on the number of elements (wire.MaxBatchElements): its
// work is linear in the bytes, which the limits bound.
func CheckOwned(raw []byte, owner crypto.ClientID, lim Limits) error {
	if lim.MaxBytes > 0 && len(raw) > lim.MaxBytes {
		return fmt.Errorf("batch: %d bytes exceeds limit %d", len(raw), lim.MaxBytes)
	}
	var submitter []byte
	commands, foreign := 0, -1
	for b := raw; len(b) > 0; {
		num, v, rest, err := nextField(b)
		if err != nil {
			return fmt.Errorf("batch: decode: %w", err)
		}
		b = rest
		switch {
		case v == nil:
		case num == fieldSubmitter:
			submitter = v
		case num == fieldCommands:
			id, err := commandClientID(v)
			if err != nil {
				return err
			}
			if foreign < 0 && string(id) != string(owner[:]) {
				foreign = commands
			}
			commands++
		}
	}
	if commands == 0 {
		return errors.New("batch: no commands")
	}
	if lim.MaxCommands > 0 && commands > lim.MaxCommands {
		return fmt.Errorf("batch: %d commands exceeds limit %d", commands, lim.MaxCommands)
	}
	if len(submitter) != crypto.ClientIDBytes {
		return fmt.Errorf("batch: submitter id is %d bytes", len(submitter))
	}
	if lim.Clients != nil {
		var id crypto.ClientID
		copy(id[:], submitter)
		if !lim.Clients.Admits(id) {
			return ErrNotAdmitted
		}
	}
	if string(submitter) != string(owner[:]) {
		return errors.New("batch: submitter is not the connection's client")
	}
	if foreign >= 0 {
		return fmt.Errorf("batch: command %d belongs to another client", foreign)
	}
	return nil
}

// Field numbers of wire.Batch and wire.Command that CheckOwned reads.
const (
	fieldSubmitter = 1 // Batch.submitter
	fieldCommands  = 4 // Batch.commands
	fieldClientID  = 1 // Command.client_id
)

// commandClientID is the client id of one encoded command: the last
// client_id field, as decoding keeps it.
func commandClientID(cmd []byte) ([]byte, error) {
	var id []byte
	for b := cmd; len(b) > 0; {
		num, v, rest, err := nextField(b)
		if err != nil {
			return nil, fmt.Errorf("batch: decode command: %w", err)
		}
		b = rest
		if num == fieldClientID && v != nil {
			id = v
		}
	}
	return id, nil
}

// nextField reads the field at the start of b: its number, its value when
// it is length-delimited (nil for any other wire type, whose value is
// skipped; a present but empty value is not nil), and what follows it.
func nextField(b []byte) (num protowire.Number, value, rest []byte, err error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, nil, nil, protowire.ParseError(n)
	}
	b = b[n:]
	if typ != protowire.BytesType {
		if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
			return 0, nil, nil, protowire.ParseError(n)
		}
		return num, nil, b[n:], nil
	}
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return 0, nil, nil, protowire.ParseError(n)
	}
	if v == nil {
		v = []byte{}
	}
	return num, v, b[n:], nil
}
