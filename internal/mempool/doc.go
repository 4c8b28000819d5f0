// Package mempool is the payload rule set of baseline mode (plain HotStuff,
// docs/protocol.md section 5): clients hand batches to every replica, the leader
// proposes the digests of batches not yet in its chain, and replicas vote only
// once they hold every body (fetching missing ones by digest from the
// proposer, then from others). Bodies of blocks a replica validates are
// persisted before its vote, so a committed block can always be executed.
//
// Committed blocks are released for execution in order, each only once all
// of its bodies are present. Like the consensus core it is deterministic and
// does no I/O: effects go to an outbox.
//
// Clients sign their baseline batches (batch.Sign): a body is valid only if
// its submitter's key signed it and every command is the submitter's
// (batch.CheckSigned), whether it came from the client, in a proposal or
// from a fetch. So a Byzantine leader cannot propose commands in another
// client's name, and a body's validity depends on its bytes alone (see
// docs/design.md, "Baseline-mode validity depends only on shared state").
package mempool
