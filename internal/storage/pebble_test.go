package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// Small memtables keep tests light; defaults are sized for replicas.
func testPebbleOptions() PebbleOptions {
	return PebbleOptions{MemTableBytes: 1 << 20, CacheBytes: 1 << 20, Logger: quietLog}
}

func openTestPebble(t *testing.T) Store {
	t.Helper()
	p, err := OpenPebble(t.TempDir(), testPebbleOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestPebbleReopen(t *testing.T) {
	dir := t.TempDir()
	p, err := OpenPebble(dir, testPebbleOptions())
	if err != nil {
		t.Fatal(err)
	}
	b := &Batch{}
	for i := range 100 {
		b.Put(Key('h', U64(uint64(i))), []byte(fmt.Sprint("block ", i)))
	}
	mustApply(t, p, b, true)
	prune := &Batch{}
	prune.DeleteRange(Key('h', U64(0)), Key('h', U64(50)))
	mustApply(t, p, prune, false)
	mustApply(t, p, nil, true)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second close = %v", err)
	}
	if _, err := p.Get([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("get after close = %v", err)
	}

	p, err = OpenPebble(dir, testPebbleOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var heights []uint64
	start, end := PrefixRange('h')
	if err := p.Scan(start, end, func(k, v []byte) bool {
		h, err := ParseU64(k, 1)
		if err != nil {
			t.Fatal(err)
		}
		if string(v) != fmt.Sprint("block ", h) {
			t.Fatalf("height %d holds %q", h, v)
		}
		heights = append(heights, h)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(heights) != 50 || heights[0] != 50 || heights[49] != 99 {
		t.Fatalf("after reopen heights = %v", heights)
	}
	if err := p.Compact(context.Background(), start, end); err != nil {
		t.Fatal(err)
	}
	if p.DiskUsageBytes() == 0 {
		t.Fatal("disk usage reported as zero")
	}
}

// A full disk must come back from Apply as an error, and the store must
// keep failing with it rather than exit or panic.
func TestPebbleFullDisk(t *testing.T) {
	full := &errorfs.Toggle{Injector: errorfs.InjectorFunc(func(op errorfs.Op) error {
		if op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return syscall.ENOSPC
		}
		return nil
	})}
	opts := testPebbleOptions()
	opts.fs = errorfs.Wrap(vfs.Default, full)
	p, err := OpenPebble(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, p, putBatch("a", "1"), true)
	full.On()
	err = p.Apply(putBatch("b", "2"), true)
	if err == nil {
		t.Fatal("synced apply on a full disk succeeded")
	}
	if err2 := p.Apply(putBatch("c", "3"), true); err2 == nil {
		t.Fatal("apply after a failure succeeded")
	}
	if _, err2 := p.Get([]byte("a")); err2 == nil {
		t.Fatal("get after a failure succeeded")
	}
	if p.Err() == nil {
		t.Fatal("failure not latched")
	}
	if cerr := p.Close(); cerr == nil {
		t.Fatal("close of a failed store reported no failure")
	}
	t.Logf("full disk surfaced as: %v", err)
}

func BenchmarkPebbleApplySynced(b *testing.B) {
	p, err := OpenPebble(b.TempDir(), PebbleOptions{Logger: quietLog})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	value := make([]byte, 200)
	batch := &Batch{}
	b.SetBytes(100 * 200)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		batch.Reset()
		for j := range 100 {
			batch.Put(Key('b', U64(uint64(i)), U32(uint32(j))), value)
		}
		if err := p.Apply(batch, true); err != nil {
			b.Fatal(err)
		}
	}
}
