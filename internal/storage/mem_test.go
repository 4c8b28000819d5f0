package storage

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func mustApply(t testing.TB, s Store, b *Batch, sync bool) {
	t.Helper()
	if err := s.Apply(b, sync); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

func putBatch(kv ...string) *Batch {
	b := &Batch{}
	for i := 0; i+1 < len(kv); i += 2 {
		b.Put([]byte(kv[i]), []byte(kv[i+1]))
	}
	return b
}

func getString(t testing.TB, s Store, key string) (string, bool) {
	t.Helper()
	v, err := s.Get([]byte(key))
	if errors.Is(err, ErrNotFound) {
		return "", false
	}
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	return string(v), true
}

func TestMemCrash(t *testing.T) {
	type step struct {
		batch *Batch
		sync  bool
	}
	tests := []struct {
		name  string
		steps []step
		keep  int
		want  map[string]string // after the crash; absent keys must be gone
		gone  []string
	}{
		{
			name:  "unsynced lost",
			steps: []step{{putBatch("a", "1"), false}},
			gone:  []string{"a"},
		},
		{
			name:  "synced kept",
			steps: []step{{putBatch("a", "1"), true}},
			want:  map[string]string{"a": "1"},
		},
		{
			name:  "sync makes earlier unsynced durable",
			steps: []step{{putBatch("a", "1"), false}, {putBatch("b", "2"), true}, {putBatch("c", "3"), false}},
			want:  map[string]string{"a": "1", "b": "2"},
			gone:  []string{"c"},
		},
		{
			name:  "empty synced batch is a barrier",
			steps: []step{{putBatch("a", "1"), false}, {&Batch{}, true}},
			want:  map[string]string{"a": "1"},
		},
		{
			name:  "unsynced overwrite rolled back",
			steps: []step{{putBatch("a", "1"), true}, {putBatch("a", "2"), false}},
			want:  map[string]string{"a": "1"},
		},
		{
			name: "unsynced range delete rolled back",
			steps: []step{
				{putBatch("a1", "x", "a2", "y", "b", "z"), true},
				{&Batch{Ops: []Op{{Kind: OpDeleteRange, Key: []byte("a"), End: []byte("b")}}}, false},
			},
			want: map[string]string{"a1": "x", "a2": "y", "b": "z"},
		},
		{
			name:  "crash keeping a prefix of unsynced batches",
			steps: []step{{putBatch("a", "1"), false}, {putBatch("b", "2"), false}, {putBatch("c", "3"), false}},
			keep:  2,
			want:  map[string]string{"a": "1", "b": "2"},
			gone:  []string{"c"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMem()
			for _, s := range tc.steps {
				mustApply(t, m, s.batch, s.sync)
			}
			m.CrashKeeping(tc.keep)
			for k, v := range tc.want {
				if got, ok := getString(t, m, k); !ok || got != v {
					t.Errorf("after crash %q = %q (present %v), want %q", k, got, ok, v)
				}
			}
			for _, k := range tc.gone {
				if got, ok := getString(t, m, k); ok {
					t.Errorf("after crash %q = %q, want it lost", k, got)
				}
			}
			if n := m.UnsyncedBatches(); n != 0 {
				t.Errorf("unsynced batches after crash = %d", n)
			}
		})
	}
}

func TestMemUnsyncedWriteBack(t *testing.T) {
	m := NewMem()
	total := MemMaxUnsyncedBatches + 10
	for i := range total {
		mustApply(t, m, putBatch(fmt.Sprintf("k%05d", i), "v"), false)
	}
	if n := m.UnsyncedBatches(); n != MemMaxUnsyncedBatches {
		t.Fatalf("unsynced batches = %d, want the bound %d", n, MemMaxUnsyncedBatches)
	}
	m.Crash()
	if got := m.Len(); got != 10 {
		t.Fatalf("after crash %d keys survive, want the 10 written back", got)
	}
	if _, ok := getString(t, m, "k00009"); !ok {
		t.Fatal("oldest unsynced batch was not written back")
	}
}

func TestMemFailWrites(t *testing.T) {
	m := NewMem()
	full := errors.New("no space left on device")
	m.SetFailWrites(full)
	if err := m.Apply(putBatch("a", "1"), true); !errors.Is(err, full) {
		t.Fatalf("apply on full disk = %v, want %v", err, full)
	}
	if _, ok := getString(t, m, "a"); ok {
		t.Fatal("failed apply wrote data")
	}
	m.SetFailWrites(nil)
	mustApply(t, m, putBatch("a", "1"), true)
	if v, _ := getString(t, m, "a"); v != "1" {
		t.Fatalf("a = %q after recovery", v)
	}
}

func TestMemReopen(t *testing.T) {
	m := NewMem()
	mustApply(t, m, putBatch("a", "1"), true)
	mustApply(t, m, putBatch("b", "2"), false)
	if _, err := m.Reopen(); err == nil {
		t.Fatal("reopen of an open store succeeded")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get([]byte("a")); !errors.Is(err, ErrClosed) {
		t.Fatalf("get after close = %v", err)
	}
	if err := m.Apply(putBatch("c", "3"), true); !errors.Is(err, ErrClosed) {
		t.Fatalf("apply after close = %v", err)
	}
	r, err := m.Reopen()
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := getString(t, r, "b"); v != "2" {
		t.Fatalf("process restart lost an unsynced write: b = %q", v)
	}
	r.Crash()
	if v, _ := getString(t, r, "a"); v != "1" {
		t.Fatalf("a = %q after reopen and crash", v)
	}
	if _, ok := getString(t, r, "b"); ok {
		t.Fatal("unsynced write survived a crash after reopen")
	}
}

// A Scan callback may write to the store; it sees the state at the start
// of the scan.
func TestMemScanReentrant(t *testing.T) {
	m := NewMem()
	mustApply(t, m, putBatch("a", "1", "b", "2", "c", "3"), true)
	var seen []string
	err := m.Scan(nil, nil, func(k, v []byte) bool {
		seen = append(seen, string(k))
		mustApply(t, m, putBatch(string(k)+"x", "y"), false)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seen) != "[a b c]" {
		t.Fatalf("scan saw %v", seen)
	}
	if m.Len() != 6 {
		t.Fatalf("len = %d after writes inside scan", m.Len())
	}
}

func TestBatchRejected(t *testing.T) {
	tests := []struct {
		name string
		op   Op
	}{
		{"unknown kind", Op{Kind: 9, Key: []byte("a")}},
		{"inverted range", Op{Kind: OpDeleteRange, Key: []byte("b"), End: []byte("a")}},
		{"range without end", Op{Kind: OpDeleteRange, Key: []byte("a")}},
		{"empty put key", Op{Kind: OpPut, Key: nil, Value: []byte("v")}},
		{"empty delete key", Op{Kind: OpDelete, Key: []byte{}}},
	}
	stores := map[string]func(t *testing.T) Store{
		"mem":    func(t *testing.T) Store { return NewMem() },
		"pebble": openTestPebble,
	}
	for _, tc := range tests {
		for name, open := range stores {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				s := open(t)
				b := putBatch("a", "1")
				b.Ops = append(b.Ops, tc.op)
				if err := s.Apply(b, true); err == nil {
					t.Fatal("bad batch accepted")
				}
				if _, ok := getString(t, s, "a"); ok {
					t.Fatal("part of a rejected batch was applied")
				}
			})
		}
	}
}

func TestMemManyKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 1e6 keys")
	}
	m := NewMem()
	const n = 1_000_000
	b := &Batch{}
	for i := range uint64(n) {
		// A multiplicative permutation, so keys arrive out of order.
		b.Put(Key('k', U64(i*0x9E3779B97F4A7C15)), nil)
		if len(b.Ops) == 1000 {
			mustApply(t, m, b, i%10_000 == 0)
			b = &Batch{}
		}
	}
	mustApply(t, m, b, true)
	if m.Len() != n {
		t.Fatalf("len = %d", m.Len())
	}
	var prev []byte
	count := 0
	if err := m.Scan(nil, nil, func(k, _ []byte) bool {
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			t.Fatalf("scan out of order at %x", k)
		}
		prev = append(prev[:0], k...)
		count++
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("scanned %d keys", count)
	}
}
