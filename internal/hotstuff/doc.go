// Package hotstuff is chained HotStuff as a deterministic state machine with
// no I/O, no goroutines, no clock and no randomness of its own, in the style
// of etcd's raft.
//
// Inputs are messages from authenticated peers (Step), the passage of time
// (Tick, and the now argument every input carries) and the payload rules
// that fill and judge blocks (PayloadRules). Outputs are collected in a Ready:
// writes to persist, messages to send, blocks committed in order, and the
// time at which the core next wants a Tick. The caller must make the writes
// durable before it sends any of the messages of the same Ready: votes and
// timeouts depend on the synced safety state (last voted view, lock).
//
// Protocol (PROTOCOL.md 3.5): a replica votes for a block only if its view is
// above the last voted view and it extends the locked block or its QC is newer
// than the lock; a QC on b” whose justify certifies b' locks b'; a 3-chain of
// direct parents b <- b' <- b” certified by a QC commits b. The pacemaker
// rotates leaders round robin (or fixes one), times views out with
// exponential back-off, and forms timeout certificates from 2f+1 signed
// timeouts; f+1 timeouts for a view make a replica join them, so that a view
// change needs only f+1 correct replicas that see work waiting.
//
// Votes for a block of view v go to the leader of v+1, which forms the QC and
// proposes the next block on it: proposals are pipelined, a new block never
// waits for an older one to commit. A leader proposes only when the payload
// rules report pending work or the chain still holds uncommitted payload, so
// an idle cluster sends nothing and keeps no timer armed.
package hotstuff
