// Package app defines the contract between pompe and the replicated
// application it orders commands for. A program that embeds a pompe replica
// supplies an Application; pompe decides the order of commands, and the
// Application decides what they mean.
//
// # What pompe guarantees the application
//
// Every correct replica calls Execute with the same committed blocks, in
// chain order, with strictly increasing heights, and with the same commands
// in the same order inside each block: batches sorted by (timestamp,
// digest), commands inside a batch in their batch order. A command that was
// already executed (same Client and Seq) is removed before Execute sees it,
// so an application never has to deduplicate retries itself.
//
// Calls are serialized: pompe never calls Execute, Snapshot or Restore
// concurrently on one Application, so an implementation needs no locking
// for pompe's sake (it may still lock if its own code reads the state from
// other goroutines).
//
// # What the application must guarantee pompe
//
// Execute must be deterministic. Its results and the state it leaves behind
// may depend only on the state before the call, the height and the
// commands. It must not read clocks, random sources, the environment, the
// file system or the network, and must not depend on map iteration order,
// goroutine scheduling or anything else that differs between machines.
// Replicas that diverge produce different results, clients then fail to
// collect f+1 matching replies, and the diverging replica's snapshots no
// longer match its peers'.
//
// Execute must not panic and must not fail: a command that the application
// cannot interpret (a malformed payload, a request that is too large) still
// gets a result, one the application's clients can recognise as an error.
// Payloads come from clients, and clients may be Byzantine.
//
// Execute returns exactly one result per command, in the order of cmds. A
// result may be nil or empty.
//
// # Result limits
//
// Results travel back to clients and are kept for a while in case a client
// asks again, so their size is bounded, deterministically. Execute receives
// ResultLimits: a result longer than MaxResultBytes, or one that would take
// the sum of the call's non-error results above MaxTotalBytes, must be an
// error result instead (built with the application's ErrorResult). pompe
// checks what Execute returns against the same rule, and further bounds
// the results of one batch (one client's reply); every result it refuses
// is replaced by ErrorResult with a reason such as "result budget of batch
// exceeded". All of this depends only on the block's commands and the
// state before it, so every replica, and a replica replaying after a
// restart, gives the same results, and no block can make execution hold
// more than the limits in memory. Without this, one batch of thousands of
// reads of a large value would make every replica build (and replay)
// gigabytes of identical results. pompe does not keep cmds or their payloads
// after Execute returns, but the application must not modify them either.
//
// Snapshot serializes the whole state. Two replicas with the same state must
// produce byte-identical snapshots, so that snapshots can be compared and
// fetched from any peer by digest. Restore replaces the whole state with a
// snapshot taken by the same application; on error it must leave the state
// as it was, since a replica may then fetch another snapshot and try again.
//
// The package kvstore is a complete, small Application and a good starting
// point for a new one.
package app
