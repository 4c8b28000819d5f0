package storage

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// refModel is the obvious map-based meaning of a Store, with power-loss
// semantics for Mem.
type refModel struct {
	live, durable map[string]string
}

func newRefModel() *refModel {
	return &refModel{live: map[string]string{}, durable: map[string]string{}}
}

func (r *refModel) apply(b *Batch, sync bool) {
	for _, op := range b.Ops {
		switch op.Kind {
		case OpPut:
			r.live[string(op.Key)] = string(op.Value)
		case OpDelete:
			delete(r.live, string(op.Key))
		case OpDeleteRange:
			for k := range r.live {
				if k >= string(op.Key) && k < string(op.End) {
					delete(r.live, k)
				}
			}
		}
	}
	if sync {
		r.durable = maps.Clone(r.live)
	}
}

func (r *refModel) crash() { r.live = maps.Clone(r.durable) }

func (r *refModel) scan(start, end []byte) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(r.live)) {
		if k >= string(start) && (end == nil || k < string(end)) {
			out = append(out, k, r.live[k])
		}
	}
	return out
}

func scanStore(t *rapid.T, s Store, start, end []byte) []string {
	var out []string
	if err := s.Scan(start, end, func(k, v []byte) bool {
		out = append(out, string(k), string(v))
		return true
	}); err != nil {
		t.Fatalf("scan: %v", err)
	}
	return out
}

// Keys from a tiny alphabet with edge bytes, so ops collide and ranges
// matter.
func keyGen() *rapid.Generator[[]byte] {
	return rapid.SliceOfN(rapid.SampledFrom([]byte{0x00, 0x01, 'a', 'b', 0xff}), 0, 3)
}

func pointKeyGen() *rapid.Generator[[]byte] {
	return rapid.SliceOfN(rapid.SampledFrom([]byte{0x00, 0x01, 'a', 'b', 0xff}), 1, 3)
}

func batchGen() *rapid.Generator[*Batch] {
	return rapid.Custom(func(t *rapid.T) *Batch {
		b := &Batch{}
		n := rapid.IntRange(0, 6).Draw(t, "ops")
		for range n {
			k := pointKeyGen().Draw(t, "key")
			switch rapid.IntRange(0, 4).Draw(t, "kind") {
			case 0:
				b.Delete(k)
			case 1:
				end := pointKeyGen().Draw(t, "end")
				if bytes.Compare(k, end) > 0 {
					k, end = end, k
				}
				b.DeleteRange(k, end)
			default:
				b.Put(k, rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "value"))
			}
		}
		return b
	})
}

func TestStoresMatchModelProperty(t *testing.T) {
	base := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		dir, err := os.MkdirTemp(base, "pebble")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		peb, err := OpenPebble(dir, testPebbleOptions())
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = peb.Close() }()
		mem := NewMem()
		memRef, pebRef := newRefModel(), newRefModel()

		check := func(t *rapid.T, key []byte) {
			for name, c := range map[string]struct {
				s   Store
				ref *refModel
			}{"mem": {mem, memRef}, "pebble": {peb, pebRef}} {
				want, ok := c.ref.live[string(key)]
				got, err := c.s.Get(key)
				switch {
				case !ok && !errors.Is(err, ErrNotFound):
					t.Fatalf("%s: get %x = %q, %v; want not found", name, key, got, err)
				case ok && (err != nil || string(got) != want):
					t.Fatalf("%s: get %x = %q, %v; want %q", name, key, got, err, want)
				}
			}
		}

		t.Repeat(map[string]func(*rapid.T){
			"apply": func(t *rapid.T) {
				b := batchGen().Draw(t, "batch")
				sync := rapid.Bool().Draw(t, "sync")
				if err := mem.Apply(b, sync); err != nil {
					t.Fatalf("mem apply: %v", err)
				}
				if err := peb.Apply(b, sync); err != nil {
					t.Fatalf("pebble apply: %v", err)
				}
				memRef.apply(b, sync)
				pebRef.apply(b, sync)
			},
			"get": func(t *rapid.T) {
				check(t, keyGen().Draw(t, "key"))
			},
			"scan": func(t *rapid.T) {
				start := keyGen().Draw(t, "start")
				var end []byte
				if rapid.Bool().Draw(t, "bounded") {
					end = keyGen().Draw(t, "end")
				}
				if got, want := scanStore(t, mem, start, end), memRef.scan(start, end); !slices.Equal(got, want) {
					t.Fatalf("mem scan [%x, %x) = %q, want %q", start, end, got, want)
				}
				if got, want := scanStore(t, peb, start, end), pebRef.scan(start, end); !slices.Equal(got, want) {
					t.Fatalf("pebble scan [%x, %x) = %q, want %q", start, end, got, want)
				}
			},
			"scan stops early": func(t *rapid.T) {
				limit := rapid.IntRange(1, 3).Draw(t, "limit")
				for _, s := range []Store{mem, peb} {
					n := 0
					_ = s.Scan(nil, nil, func(_, _ []byte) bool { n++; return n < limit })
					if n > limit {
						t.Fatalf("scan went on after fn returned false: %d calls", n)
					}
				}
			},
			"mem crash": func(t *rapid.T) {
				mem.Crash()
				memRef.crash()
			},
			"pebble reopen": func(t *rapid.T) {
				if err := peb.Close(); err != nil {
					t.Fatalf("close: %v", err)
				}
				peb, err = OpenPebble(dir, testPebbleOptions())
				if err != nil {
					t.Fatalf("reopen: %v", err)
				}
			},
			"": func(t *rapid.T) {
				if got, want := scanStore(t, mem, nil, nil), memRef.scan(nil, nil); !slices.Equal(got, want) {
					t.Fatalf("mem contents %q, want %q", got, want)
				}
				if got, want := scanStore(t, peb, nil, nil), pebRef.scan(nil, nil); !slices.Equal(got, want) {
					t.Fatalf("pebble contents %q, want %q", got, want)
				}
			},
		})
	})
}
