package kvstore

// Usage is what one client holds in the store: its number of keys and the
// sum of their key and value lengths (the owner id not counted), the
// quantities that Limits.MaxClientKeys and Limits.MaxClientBytes bound.
type Usage struct {
	Keys  int
	Bytes int64
}

// usageTable is the per-client usage, derived from the data: every replica
// that holds the same data holds the same table, and Restore rebuilds it
// from the snapshot instead of encoding it. It has an entry exactly for
// each client that holds at least one key (an entry goes with the client's
// last key), so it never has more entries than the store has keys: at most
// Limits.MaxKeys entries of 32 bytes plus map overhead (80 bytes an entry
// measured at 2^20 entries), less than the keys themselves take (each key
// holds a 16-byte owner id, a map entry and its value).
type usageTable map[Owner]Usage

// add records a change of client's usage by keys and bytes, and drops the
// client's entry when it no longer holds any key.
func (t usageTable) add(client Owner, keys int, bytes int64) {
	u := t[client]
	u.Keys += keys
	u.Bytes += bytes
	if u.Keys == 0 {
		delete(t, client)
		return
	}
	t[client] = u
}

// ownerOf splits a namespaced map key into its owner and the client's key.
// The key must be at least as long as an owner id.
func ownerOf[K string | []byte](key K) (Owner, K) {
	var o Owner
	copy(o[:], key)
	return o, key[len(o):]
}
