// Package mempool is the payload rule set of baseline mode (plain HotStuff,
// PROTOCOL.md section 5): clients hand batches to every replica, the leader
// proposes the digests of batches not yet in its chain, and replicas vote only
// once they hold every body (fetching missing ones by digest from the
// proposer, then from others). Bodies of blocks a replica validates are
// persisted before its vote, so a committed block can always be executed.
//
// Committed blocks are released for execution in order, each only once all
// of its bodies are present. Like the consensus core it is deterministic and
// does no I/O: effects go to an outbox.
//
// Baseline mode cannot stop a Byzantine leader from proposing a batch it
// forged in another client's name (only Pompe's timestamp proofs carry the
// f+1 correct ownership checks); execution still deduplicates by client id
// and sequence number.
package mempool
