// Package execution applies committed blocks to the application: batches in
// the order the payload rules resolved (baseline: proposal order; Pompe:
// by (ts, digest)), commands of a batch in batch order, skipping a command
// whose (client id, sequence number) already executed (docs/protocol.md section
// 4). It builds the Executed replies and the execution-log entries.
//
// Durability is by snapshot: every SnapshotEveryBlocks blocks the executor
// writes one record holding the application snapshot, the deduplication
// state and the height it covers. After a crash the node restores the newest
// record and replays committed blocks above it, which consensus keeps for at
// least its retention window. The executor is deterministic: replicas that
// execute the same blocks produce the same results, logs and snapshots.
package execution
