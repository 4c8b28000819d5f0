package runlog

import (
	"encoding/hex"
	"fmt"
)

// ClientIDBytes and DigestBytes are the binary lengths of a client id and a
// batch digest (SHA-256).
const (
	ClientIDBytes = 16
	DigestBytes   = 32
)

// ClientID is a client id, written as 32 lowercase hex digits.
type ClientID [ClientIDBytes]byte

// Digest is a batch digest, written as 64 lowercase hex digits. In a client
// record the zero digest (command not executed) is written as "".
type Digest [DigestBytes]byte

func (id ClientID) String() string { return hex.EncodeToString(id[:]) }
func (d Digest) String() string    { return hex.EncodeToString(d[:]) }

// IsZero reports whether d is the zero digest.
func (d Digest) IsZero() bool { return d == Digest{} }

// MarshalText encodes id as hex.
func (id ClientID) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, id[:]), nil }

// UnmarshalText decodes exactly 32 hex digits.
func (id *ClientID) UnmarshalText(text []byte) error {
	return decodeHexInto(id[:], text, "client id")
}

// MarshalText encodes d as hex, or as empty text if d is zero.
func (d Digest) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	return hex.AppendEncode(nil, d[:]), nil
}

// UnmarshalText decodes exactly 64 hex digits, or empty text as zero.
func (d *Digest) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*d = Digest{}
		return nil
	}
	return decodeHexInto(d[:], text, "digest")
}

// decodeHexInto fills dst from exactly 2*len(dst) hex digits.
func decodeHexInto(dst, text []byte, what string) error {
	if len(text) != 2*len(dst) {
		return fmt.Errorf("runlog: %s has %d hex digits, want %d", what, len(text), 2*len(dst))
	}
	if _, err := hex.Decode(dst, text); err != nil {
		return fmt.Errorf("runlog: %s: %w", what, err)
	}
	return nil
}
