package kvstore

import "fmt"

// Limits bound what the store accepts. They are part of the replicated
// state machine's definition: every replica of a cluster must run with the
// same limits, or a command rejected by one replica succeeds on another.
type Limits struct {
	MaxKeyBytes   int
	MaxValueBytes int
	// MaxKeys bounds the number of keys held.
	MaxKeys int
	// MaxTotalBytes bounds the sum of key and value lengths held.
	MaxTotalBytes int64
	// MaxClientKeys bounds the number of keys one client holds: its share
	// of MaxKeys, so that one client cannot fill the store for all others.
	MaxClientKeys int
	// MaxClientBytes bounds the sum of key and value lengths one client
	// holds, counted like MaxTotalBytes (the owner id is not counted). A
	// client limit above the corresponding total is allowed; the total
	// still applies.
	MaxClientBytes int64
}

// Default limits, used for every zero field of Limits.
const (
	DefaultMaxKeyBytes   = 1 << 10
	DefaultMaxValueBytes = 64 << 10
	DefaultMaxKeys       = 1 << 24
	DefaultMaxTotalBytes = 1 << 30
	// The default client share is 1/16 of the store in keys and in bytes:
	// at least 16 clients at their share fit.
	DefaultMaxClientKeys  = 1 << 20
	DefaultMaxClientBytes = 64 << 20
)

// withDefaults fills zero fields and rejects negative ones.
func (l Limits) withDefaults() (Limits, error) {
	if l.MaxKeyBytes < 0 || l.MaxValueBytes < 0 || l.MaxKeys < 0 || l.MaxTotalBytes < 0 ||
		l.MaxClientKeys < 0 || l.MaxClientBytes < 0 {
		return l, fmt.Errorf("kvstore: negative limit in %+v", l)
	}
	if l.MaxKeyBytes == 0 {
		l.MaxKeyBytes = DefaultMaxKeyBytes
	}
	if l.MaxValueBytes == 0 {
		l.MaxValueBytes = DefaultMaxValueBytes
	}
	if l.MaxKeys == 0 {
		l.MaxKeys = DefaultMaxKeys
	}
	if l.MaxTotalBytes == 0 {
		l.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if l.MaxClientKeys == 0 {
		l.MaxClientKeys = DefaultMaxClientKeys
	}
	if l.MaxClientBytes == 0 {
		l.MaxClientBytes = DefaultMaxClientBytes
	}
	return l, nil
}

// checkEntry reports why key and value may not be stored, or "".
func (l Limits) checkEntry(key, value []byte) string {
	if len(key) > l.MaxKeyBytes {
		return fmt.Sprintf("key is %d bytes, limit %d", len(key), l.MaxKeyBytes)
	}
	if len(value) > l.MaxValueBytes {
		return fmt.Sprintf("value is %d bytes, limit %d", len(value), l.MaxValueBytes)
	}
	return ""
}
