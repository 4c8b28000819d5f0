package kvstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"testing"

	"pgregory.net/rapid"
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

// TestSnapshotKeyOrderIsIncremental: a store that took snapshots along the
// way (and so merges the keys added since into the order it kept) writes
// the same bytes as one that sorts every key at its first snapshot, through
// puts, deletes, keys deleted and put again, and restores.
func TestSnapshotKeyOrderIsIncremental(t *testing.T) {
	tb := t
	rapid.Check(t, func(t *rapid.T) {
		kept, fresh := newTestStore(tb, Limits{}), newTestStore(tb, Limits{})
		key := rapid.SliceOfN(rapid.ByteRange('a', 'e'), 0, 3)
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for i := range steps {
			var payload []byte
			switch rapid.IntRange(0, 9).Draw(t, "op") {
			case 0, 1, 2:
				payload = EncodeDelete(key.Draw(t, "key"))
			case 3:
				snap, err := kept.Snapshot()
				if err != nil {
					t.Fatal(err)
				}
				if rapid.Bool().Draw(t, "restore") {
					if err := kept.Restore(snap); err != nil {
						t.Fatal(err)
					}
				}
				continue
			default:
				payload = EncodePut(key.Draw(t, "key"), []byte{byte(i)})
			}
			kept.Apply(testOwner, payload)
			fresh.Apply(testOwner, payload)
		}
		a, err := kept.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		b, err := fresh.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("snapshots differ after %d steps:\n%x\n%x", steps, a, b)
		}
	})
}

// BenchmarkSnapshot: a snapshot of 131,072 keys (the load generator's key
// space) after 1,000 overwrites, as between two snapshots of a loaded
// replica.
func BenchmarkSnapshot(b *testing.B) {
	s := newTestStore(b, Limits{})
	const keys = 1 << 17
	for i := range keys {
		s.Apply(testOwner, EncodePut(fmt.Appendf(nil, "key-%07d", i), []byte("0123456789abcdef")))
	}
	if _, err := s.Snapshot(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for j := range 1000 {
			s.Apply(testOwner, EncodePut(fmt.Appendf(nil, "key-%07d", (i*1000+j)%keys), []byte("fedcba9876543210")))
		}
		if _, err := s.Snapshot(); err != nil {
			b.Fatal(err)
		}
	}
}
