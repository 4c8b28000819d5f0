package storage

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/sstable"
)

// go.mod replaces github.com/DataDog/zstd (C) with a pure-Go stand-in
// (third_party/datadog-zstd). pompe's stores use pebble's default Snappy,
// but a store written with zstd must still work: pebble writes tables
// through the stand-in, compacts them and reads them back.
func TestPebbleZstdThroughStandIn(t *testing.T) {
	dir := t.TempDir()
	opts := &pebble.Options{FormatMajorVersion: pebble.FormatNewest}
	opts.EnsureDefaults()
	for i := range opts.Levels {
		opts.Levels[i].Compression = func() *sstable.CompressionProfile { return sstable.ZstdCompression }
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	value := func(i int) []byte { return bytes.Repeat([]byte(fmt.Sprintf("value %d ", i)), 50) }
	for i := 0; i < 2000; i++ {
		if err := db.Set([]byte(fmt.Sprintf("key%05d", i)), value(i), pebble.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := db.Compact(t.Context(), []byte("key"), []byte("kez"), true); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = pebble.Open(dir, opts); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 0; i < 2000; i += 97 {
		v, closer, err := db.Get([]byte(fmt.Sprintf("key%05d", i)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(v, value(i)) {
			t.Fatalf("key %d: read back %q", i, v)
		}
		closer.Close()
	}
	// Table statistics are collected in the background after opening.
	m := db.Metrics()
	for deadline := time.Now().Add(30 * time.Second); m.Table.CompressedCountUnknown > 0 && time.Now().Before(deadline); m = db.Metrics() {
		time.Sleep(10 * time.Millisecond)
	}
	if m.Table.CompressedCountZstd == 0 {
		t.Fatalf("no table block was compressed with zstd: %+v", m.Table)
	}
}
