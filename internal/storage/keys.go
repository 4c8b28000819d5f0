package storage

import (
	"encoding/binary"
	"fmt"
)

// Keys are built as a one-byte prefix naming a table followed by big-endian
// parts, so that byte order equals numeric order and a table, or a run of
// heights inside it, is one contiguous range.

// Key concatenates prefix and parts into a fresh key.
func Key(prefix byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	k = append(k, prefix)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

// U64 encodes v big-endian in 8 bytes.
func U64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// U32 encodes v big-endian in 4 bytes.
func U32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// ParseU64 decodes 8 big-endian bytes, as found at offset in key.
func ParseU64(key []byte, offset int) (uint64, error) {
	if offset < 0 || len(key) < offset+8 {
		return 0, fmt.Errorf("storage: key of %d bytes has no uint64 at offset %d", len(key), offset)
	}
	return binary.BigEndian.Uint64(key[offset:]), nil
}

// PrefixEnd returns the smallest key greater than every key starting with
// prefix, the exclusive end of the prefix's range. It returns nil (no upper
// bound) when prefix is empty or all 0xff bytes.
func PrefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// PrefixRange returns [start, end) covering every key that starts with
// prefix.
func PrefixRange(prefix ...byte) (start, end []byte) {
	return append([]byte(nil), prefix...), PrefixEnd(prefix)
}
