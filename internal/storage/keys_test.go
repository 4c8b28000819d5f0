package storage

import (
	"bytes"
	"testing"

	"pgregory.net/rapid"
)

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		name   string
		prefix []byte
		want   []byte
	}{
		{"empty has no bound", nil, nil},
		{"one byte", []byte{0x05}, []byte{0x06}},
		{"carry drops trailing ff", []byte{0x05, 0xff}, []byte{0x06}},
		{"carry over several", []byte{0x01, 0x02, 0xff, 0xff}, []byte{0x01, 0x03}},
		{"all ff has no bound", []byte{0xff, 0xff}, nil},
		{"zero byte", []byte{0x00}, []byte{0x01}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PrefixEnd(tc.prefix); !bytes.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
				t.Fatalf("PrefixEnd(%x) = %x, want %x", tc.prefix, got, tc.want)
			}
		})
	}
}

func TestPrefixEndDoesNotAlias(t *testing.T) {
	p := []byte{1, 2}
	_ = PrefixEnd(p)
	if !bytes.Equal(p, []byte{1, 2}) {
		t.Fatalf("PrefixEnd modified its argument: %x", p)
	}
}

func TestKey(t *testing.T) {
	tests := []struct {
		name   string
		prefix byte
		parts  [][]byte
		want   []byte
	}{
		{"prefix only", 'b', nil, []byte{'b'}},
		{"height", 'b', [][]byte{U64(258)}, []byte{'b', 0, 0, 0, 0, 0, 0, 1, 2}},
		{"height and index", 'x', [][]byte{U64(1), U32(7)}, []byte{'x', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 7}},
		{"raw bytes", 'd', [][]byte{[]byte("ab")}, []byte{'d', 'a', 'b'}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Key(tc.prefix, tc.parts...); !bytes.Equal(got, tc.want) {
				t.Fatalf("Key = %x, want %x", got, tc.want)
			}
		})
	}
}

func TestParseU64(t *testing.T) {
	k := Key('b', U64(1<<40+3))
	v, err := ParseU64(k, 1)
	if err != nil || v != 1<<40+3 {
		t.Fatalf("ParseU64 = %d, %v", v, err)
	}
	for _, off := range []int{-1, 2, 9} {
		if _, err := ParseU64(k, off); err == nil {
			t.Fatalf("ParseU64 at offset %d of a 9-byte key succeeded", off)
		}
	}
}

// Byte order of encoded integers must equal numeric order, and every key
// under a prefix must fall inside PrefixRange.
func TestKeyOrderProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		prefix := rapid.Byte().Draw(t, "prefix")
		a := rapid.Uint64().Draw(t, "a")
		b := rapid.Uint64().Draw(t, "b")
		ka, kb := Key(prefix, U64(a)), Key(prefix, U64(b))
		if c := bytes.Compare(ka, kb); (c < 0) != (a < b) || (c == 0) != (a == b) {
			t.Fatalf("order of %d and %d not kept: compare = %d", a, b, c)
		}
		start, end := PrefixRange(prefix)
		if bytes.Compare(ka, start) < 0 || (end != nil && bytes.Compare(ka, end) >= 0) {
			t.Fatalf("key %x outside [%x, %x)", ka, start, end)
		}
	})
}
