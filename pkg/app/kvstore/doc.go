// Package kvstore is pompe's built-in application: a replicated key-value
// store with put, get, delete and compare-and-swap, and a binary command and
// result encoding that clients use through the Encode* and Decode*
// functions.
//
// # Command encoding
//
// A command payload starts with one operation byte, followed by
// length-prefixed byte strings. Lengths are unsigned varints
// (encoding/binary), in their shortest form.
//
//	put:    0x01 | len(key) | key | len(value) | value
//	get:    0x02 | len(key) | key
//	delete: 0x03 | len(key) | key
//	cas:    0x04 | len(key) | key | 0x00 | len(new) | new              (key must be absent)
//	cas:    0x04 | len(key) | key | 0x01 | len(old) | old | len(new) | new
//
// Decoding is strict: a payload with trailing bytes, a non-minimal varint or
// an unknown operation is malformed. Every valid request has exactly one
// encoding, so Decode followed by Request.Append gives back the input.
//
// # Result encoding
//
//	success: 0x00 | flags | len(value) | value   (flags: bit 0 found, bit 1 ok)
//	failure: 0x01 | len(message) | message       (UTF-8 text for humans)
//
// A failure means the command changed nothing: its payload was malformed or
// it broke a limit (key or value too large, store full, result too large).
// Malformed payloads
// are expected, since clients may be Byzantine, and never stop the store.
//
// # Key namespaces
//
// Every client has its own namespace: a command reads, writes and deletes
// only keys of the client that issued it (the authenticated client id that
// pompe hands the application with each command). Two clients that use the
// same key name use two different keys, and no client can read, overwrite
// or delete another client's data. A key's owner id (16 bytes) is stored
// with it but not counted toward MaxKeyBytes, MaxTotalBytes or
// MaxClientBytes.
//
// # Semantics
//
// Found reports whether the key was present before the command. Get
// returns the value; CAS returns the value the key held before the command
// (so a client whose swap failed learns what to compare against next). OK is
// true for every successful put, get and delete, and for a CAS that swapped.
//
// # Bounds and determinism
//
// Limits bound key and value sizes, the number of keys and the total bytes
// held, and each client's share of both (MaxClientKeys, MaxClientBytes;
// by default 2^20 keys and 64 MiB, a sixteenth of the store), so that one
// client cannot fill the store for the others. A put or CAS that would
// exceed them fails ("store is full: ..." for the store, "store is full for
// this client: ..." for the share) and changes nothing, identically on every
// replica; deletes, and overwrites that do not grow what is checked, always
// pass. A client's usage is derived from the data (Restore counts it from
// the snapshot's entries, the snapshot format does not carry it), and the
// table holding it has one entry per client that holds a key. Results respect the app.ResultLimits pompe passes to Execute: a
// get, or a CAS, whose result (the value it reads) would be longer than
// MaxResultBytes or take the block's results above MaxTotalBytes fails (the
// CAS without swapping) with a reason such as "result budget of block
// exceeded", again identically on every replica. Snapshots list entries in increasing key order, so equal states
// give byte-identical snapshots.
package kvstore
