// Package storage owns durable state: a small key-value interface that the
// deterministic cores write through (as batches in their Ready output) and
// read from on recovery, a pebble-backed implementation for real replicas,
// and an in-memory implementation for the simulator that can lose unsynced
// writes on a simulated crash.
//
// The rule every caller relies on: when Apply(batch, true) returns nil, the
// whole batch is on stable storage, atomically. A replica applies its Ready
// writes this way before any message that depends on them leaves it (votes,
// timeouts, timestamp replies, sequence acks, collect replies).
//
// A store that hits an I/O failure it cannot recover from (a full disk)
// returns the failure from the call that hit it and from every later call;
// it never exits the process. Keys are a one-byte table prefix followed by
// big-endian integers (keys.go), so tables and height ranges are contiguous
// and pruning is one DeleteRange.
package storage
