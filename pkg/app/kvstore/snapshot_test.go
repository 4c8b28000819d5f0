package kvstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"testing"
)

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	src := newTestStore(t, Limits{})
	for i := range 200 {
		src.Apply(testOwner, EncodePut(fmt.Appendf(nil, "key-%03d", (i*37)%200), fmt.Appendf(nil, "value-%d", i)))
	}
	src.Apply(testOwner, EncodeDelete([]byte("key-007")))
	snap, err := src.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	dst := newTestStore(t, Limits{})
	dst.Apply(testOwner, EncodePut([]byte("stale"), []byte("gone after restore")))
	if err := dst.Restore(snap); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	again, err := dst.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(snap, again) {
		t.Fatal("snapshot of restored store differs")
	}
	if _, ok := dst.Get(testOwner, []byte("stale")); ok {
		t.Fatal("Restore kept a key not in the snapshot")
	}
	if dst.Len() != 199 {
		t.Fatalf("Len after restore = %d, want 199", dst.Len())
	}
	// Restored byte accounting must match, or limits drift after restore.
	if dst.totalBytes != src.totalBytes {
		t.Fatalf("totalBytes %d, want %d", dst.totalBytes, src.totalBytes)
	}
}

func TestSnapshotIsIndependentOfInsertionOrder(t *testing.T) {
	a, b := newTestStore(t, Limits{}), newTestStore(t, Limits{})
	keys := []string{"delta", "alpha", "charlie", "bravo", ""}
	for i := range keys {
		a.Apply(testOwner, EncodePut([]byte(keys[i]), []byte(keys[i])))
		j := len(keys) - 1 - i
		b.Apply(testOwner, EncodePut([]byte(keys[j]), []byte(keys[j])))
	}
	sa, _ := a.Snapshot()
	sb, _ := b.Snapshot()
	if !bytes.Equal(sa, sb) {
		t.Fatal("equal states gave different snapshots")
	}
}

func TestRestoreRejectsBadSnapshots(t *testing.T) {
	good := newTestStore(t, Limits{})
	good.Apply(testOwner, EncodePut([]byte("a"), []byte("1")))
	good.Apply(testOwner, EncodePut([]byte("b"), []byte("22")))
	snap, _ := good.Snapshot()

	withChecksum := func(body []byte) []byte {
		return binary.BigEndian.AppendUint32(body, crc32.Checksum(body, castagnoli))
	}
	body := func(count uint64, entries ...string) []byte {
		out := binary.AppendUvarint([]byte(snapshotMagic), count)
		for _, e := range entries {
			out = appendBytes(out, []byte(e))
		}
		return out
	}
	o := string(testOwner[:])
	flipped := bytes.Clone(snap)
	flipped[len(snapshotMagic)+2] ^= 1

	tests := []struct {
		name   string
		snap   []byte
		limits Limits
	}{
		{"empty", nil, Limits{}},
		{"wrong magic", withChecksum([]byte("pompe-kv/3\x00")), Limits{}},
		{"version 1 (no owners)", withChecksum([]byte("pompe-kv/1\x00")), Limits{}},
		{"key without owner", withChecksum(body(1, "a", "1")), Limits{}},
		{"bad checksum", flipped, Limits{}},
		{"truncated", snap[:len(snap)-1], Limits{}},
		{"unsorted keys", withChecksum(body(2, o+"b", "1", o+"a", "1")), Limits{}},
		{"duplicate keys", withChecksum(body(2, o+"a", "1", o+"a", "2")), Limits{}},
		{"count beyond entries", withChecksum(body(3, o+"a", "1")), Limits{}},
		{"huge count", withChecksum(body(1<<62, o+"a", "1")), Limits{}},
		{"trailing bytes", withChecksum(append(body(1, o+"a", "1"), 0)), Limits{}},
		{"too many keys", snap, Limits{MaxKeys: 1}},
		{"value too large", snap, Limits{MaxValueBytes: 1}},
		{"too many bytes", snap, Limits{MaxTotalBytes: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, tt.limits)
			s.Apply(testOwner, EncodePut([]byte("keep"), []byte("me")))
			before, _ := s.Snapshot()
			if err := s.Restore(tt.snap); !errors.Is(err, ErrBadSnapshot) {
				t.Fatalf("Restore error = %v, want ErrBadSnapshot", err)
			}
			after, _ := s.Snapshot()
			if !bytes.Equal(before, after) {
				t.Fatal("failed Restore changed the state")
			}
		})
	}
}
