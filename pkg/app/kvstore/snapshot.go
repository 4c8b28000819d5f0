package kvstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
)

// Snapshot layout:
//
//	magic "pompe-kv/2" | count | count x (len(key) | key | len(value) | value) | crc32c
//
// Each key is the 16-byte id of the client that owns it followed by the
// client's key (version 1 had no owner: keys were shared by all clients).
// Lengths and the count are minimal unsigned varints, entries are in
// strictly increasing byte order of their keys, and the trailing 4 bytes are
// the big-endian CRC-32C (Castagnoli) of everything before them. The format
// is canonical: equal states give equal snapshots, and Restore accepts
// nothing else.
const snapshotMagic = "pompe-kv/2"

const snapshotChecksumBytes = 4

// ErrBadSnapshot is wrapped by every Restore error.
var ErrBadSnapshot = errors.New("kvstore: bad snapshot")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Snapshot serializes the whole state deterministically.
func (s *Store) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := s.sortedKeysLocked()
	size := len(snapshotMagic) + binary.MaxVarintLen64 + (2*binary.MaxVarintLen64+len(Owner{}))*len(keys) +
		int(s.totalBytes) + snapshotChecksumBytes
	out := make([]byte, 0, size)
	out = append(out, snapshotMagic...)
	out = binary.AppendUvarint(out, uint64(len(keys)))
	for _, k := range keys {
		out = binary.AppendUvarint(out, uint64(len(k)))
		out = append(out, k...)
		out = appendBytes(out, s.data[k])
	}
	return binary.BigEndian.AppendUint32(out, crc32.Checksum(out, castagnoli)), nil
}

// Restore replaces the state with snapshot. The snapshot must satisfy this
// store's limits on entries, keys and total bytes; on any error the state is
// unchanged. The per-client usage is not in the snapshot: Restore counts it
// from the entries, so it equals the usage of the store that wrote the
// snapshot. A client holding more than its share (Limits.MaxClientKeys,
// MaxClientBytes) does not make the snapshot bad: snapshots written before
// the share existed, or under a larger one, must still restore. Such a
// client can then delete and shrink, but not grow, until it is back within
// its share; the memory bound stays the store's total.
func (s *Store) Restore(snapshot []byte) error {
	data, totalBytes, clients, err := parseSnapshot(snapshot, s.limits)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data, s.totalBytes, s.clients = data, totalBytes, clients
	s.order, s.added, s.deleted = nil, nil, false
	return nil
}

// sortedKeysLocked returns every key of data in sorted order and keeps it
// for the next call: the first call sorts them all; later ones sort the
// keys added since and merge them into the kept order, dropping keys
// deleted since (a key deleted and added again is in both, once).
func (s *Store) sortedKeysLocked() []string {
	if s.order == nil {
		keys := make([]string, 0, len(s.data))
		for k := range s.data {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		s.order, s.added, s.deleted = keys, make(map[string]struct{}), false
		return keys
	}
	fresh := make([]string, 0, len(s.added))
	for k := range s.added {
		fresh = append(fresh, k)
	}
	slices.Sort(fresh)
	keys := make([]string, 0, len(s.data))
	old, deleted := s.order, s.deleted
	for len(old) > 0 || len(fresh) > 0 {
		var k string
		switch {
		case len(fresh) == 0 || (len(old) > 0 && old[0] < fresh[0]):
			k, old = old[0], old[1:]
		case len(old) == 0 || fresh[0] < old[0]:
			k, fresh = fresh[0], fresh[1:]
		default: // deleted and added again since: once
			k, old, fresh = old[0], old[1:], fresh[1:]
		}
		if !deleted {
			keys = append(keys, k)
		} else if _, ok := s.data[k]; ok {
			keys = append(keys, k)
		}
	}
	s.order, s.added, s.deleted = keys, make(map[string]struct{}), false
	return keys
}

func parseSnapshot(snapshot []byte, limits Limits) (map[string][]byte, int64, usageTable, error) {
	if len(snapshot) < len(snapshotMagic)+snapshotChecksumBytes ||
		string(snapshot[:len(snapshotMagic)]) != snapshotMagic {
		return nil, 0, nil, fmt.Errorf("%w: not a key-value snapshot", ErrBadSnapshot)
	}
	body := snapshot[:len(snapshot)-snapshotChecksumBytes]
	want := binary.BigEndian.Uint32(snapshot[len(body):])
	if got := crc32.Checksum(body, castagnoli); got != want {
		return nil, 0, nil, fmt.Errorf("%w: checksum %08x, want %08x", ErrBadSnapshot, got, want)
	}
	d := decoder{buf: body[len(snapshotMagic):], kind: ErrBadSnapshot}
	count := d.uvarint("entry count")
	if d.err == nil && count > uint64(limits.MaxKeys) {
		d.fail(fmt.Sprintf("%d keys, limit %d", count, limits.MaxKeys))
	}
	if d.err != nil {
		return nil, 0, nil, d.err
	}
	// Every entry takes at least two bytes, which bounds the allocation
	// below by the snapshot's size whatever count claims.
	data := make(map[string][]byte, min(count, uint64(len(d.buf)/2)))
	var totalBytes int64
	clients := make(usageTable)
	var prevKey []byte
	for i := uint64(0); i < count; i++ {
		key := d.bytes("key")
		value := d.bytes("value")
		if d.err != nil {
			return nil, 0, nil, d.err
		}
		if i > 0 && bytes.Compare(prevKey, key) >= 0 {
			return nil, 0, nil, fmt.Errorf("%w: entry %d: keys not in strictly increasing order", ErrBadSnapshot, i)
		}
		if len(key) < len(Owner{}) {
			return nil, 0, nil, fmt.Errorf("%w: entry %d: key of %d bytes has no owner", ErrBadSnapshot, i, len(key))
		}
		owner, userKey := ownerOf(key)
		if reason := limits.checkEntry(userKey, value); reason != "" {
			return nil, 0, nil, fmt.Errorf("%w: entry %d: %s", ErrBadSnapshot, i, reason)
		}
		entryBytes := int64(len(userKey) + len(value))
		totalBytes += entryBytes
		clients.add(owner, 1, entryBytes)
		if totalBytes > limits.MaxTotalBytes {
			return nil, 0, nil, fmt.Errorf("%w: more than %d bytes", ErrBadSnapshot, limits.MaxTotalBytes)
		}
		data[string(key)] = append([]byte(nil), value...)
		prevKey = key
	}
	if err := d.finish(); err != nil {
		return nil, 0, nil, err
	}
	return data, totalBytes, clients, nil
}
