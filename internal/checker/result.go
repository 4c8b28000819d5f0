package checker

import "github.com/pompe-bft/pompe/internal/runlog"

// DefaultMaxExamples is the number of examples kept per kind of violation
// unless configured otherwise.
const DefaultMaxExamples = 5

// Key identifies a command.
type Key struct {
	Client runlog.ClientID `json:"client"`
	Seq    uint64          `json:"seq"`
}

// Place is where a command executed: block height, batch position in the
// block's execution order, command index in the batch.
type Place struct {
	Height   uint64 `json:"height"`
	Position uint32 `json:"position"`
	Index    uint32 `json:"index"`
}

// Less orders places in execution order.
func (p Place) Less(q Place) bool {
	if p.Height != q.Height {
		return p.Height < q.Height
	}
	if p.Position != q.Position {
		return p.Position < q.Position
	}
	return p.Index < q.Index
}

func keyOf(e runlog.ExecEntry) Key { return Key{Client: e.Client, Seq: e.Seq} }
func placeOf(e runlog.ExecEntry) Place {
	return Place{Height: e.Height, Position: e.Position, Index: e.Index}
}

// Kinds of violation examples.
const (
	KindMismatch  = "mismatch"  // logs differ at one entry number
	KindDuplicate = "duplicate" // one log executes a command twice
	KindOrdering  = "ordering"  // a command executes before one with strictly lower timestamps
	// KindLost: a command its client saw executed (f+1 matching reports)
	// is in no correct replica's log.
	KindLost = "lost"
	// KindRecordMismatch: the logs executed an acknowledged command in
	// another batch or at another place than its client accepted.
	KindRecordMismatch = "record-mismatch"
	// KindAssignedTs: the logs executed a batch with another timestamp
	// than the assigned_ts its client recorded.
	KindAssignedTs = "assigned-ts"
	// KindTimestampRange: a batch executed with a timestamp outside the
	// range of the correct replicas' timestamps for its command.
	KindTimestampRange = "ts-range"
	// KindTimestampMedian: a batch executed with a timestamp that cannot
	// be the value at index f of 2f+1 of the timestamps its client recorded.
	KindTimestampMedian = "ts-median"
	// KindReusedTs: a correct replica gave one timestamp to two batches.
	KindReusedTs = "reused-ts"
)

// Example describes one violation.
type Example struct {
	Kind string `json:"kind"`
	// Detail is a human-readable description with every value involved.
	Detail string `json:"detail"`
	// Replicas are the replicas whose logs show the violation (mismatch:
	// the reference replica first; duplicate: the one log).
	Replicas []int `json:"replicas,omitempty"`
	// Entry is the 0-based entry number in the logs (mismatch, duplicate:
	// the second execution); for the other kinds, in the order replica's
	// log, and -1 where no entry applies (lost, reused-ts).
	Entry int64 `json:"entry"`
	// Command is the command concerned (mismatch: in the reference log;
	// ordering: the command that executed too late).
	Command Key `json:"command"`
}

// LogSummary describes one execution log as read.
type LogSummary struct {
	Replica int   `json:"replica"`
	Entries int64 `json:"entries"`
	// Truncated reports a torn last line, ignored as the end of the log.
	Truncated bool `json:"truncated"`
}

// Result is the outcome of Check.
type Result struct {
	// N is the cluster size the check assumed (given, or the highest
	// replica id with a log plus one) and F = (N-1)/3.
	N int `json:"n"`
	F int `json:"f"`
	// Replicas is the number of correct replicas' execution logs checked.
	Replicas int `json:"replicas"`
	// Commands is the number of distinct commands in the order log.
	Commands int64 `json:"commands"`
	// OrderReplica is the replica whose log gave the execution order for
	// the ordering check: the longest correct log, lowest id on ties.
	OrderReplica int `json:"order_replica"`
	// ClientRecords is the number of client records read.
	ClientRecords int64 `json:"client_records"`
	// TimedCommands is the number of executed commands with at least one
	// timestamp from a correct replica: those the ordering check covers.
	TimedCommands int64 `json:"timed_commands"`

	// ConsistencyViolations is MismatchedEntries + DuplicateExecutions.
	ConsistencyViolations int64 `json:"consistency_violations"`
	// MismatchedEntries counts entry numbers at which logs differ.
	MismatchedEntries int64 `json:"mismatched_entries"`
	// DuplicateExecutions counts repeated executions of a command within
	// one log, summed over logs.
	DuplicateExecutions int64 `json:"duplicate_executions"`
	// OrderingViolations counts commands a that executed after some b with
	// min correct ts(b) > max correct ts(a).
	OrderingViolations int64 `json:"ordering_violations"`

	// LostCommands counts acknowledged commands (executed_us set: f+1
	// matching execution reports) that no correct replica's log holds.
	LostCommands int64 `json:"lost_commands"`
	// RecordMismatches counts acknowledged commands whose record disagrees
	// with the logs on the batch, its place or its timestamp.
	RecordMismatches int64 `json:"record_mismatches"`
	// TimestampViolations counts executed commands whose batch timestamp is
	// outside their correct replicas' range or cannot be the median at
	// index f of the timestamps recorded.
	TimestampViolations int64 `json:"timestamp_violations"`
	// ReusedTimestamps counts (replica, ts) pairs that a correct replica
	// gave to more than one batch (each further batch counts once).
	ReusedTimestamps int64 `json:"reused_timestamps"`

	// ExecutedWithoutRecord counts commands in the order log that no client
	// record mentions (a client that crashed before flushing, say).
	ExecutedWithoutRecord int64 `json:"executed_without_record"`
	// RecordsNotInLog counts records of commands their client saw executed
	// that the order log does not hold; those that no other correct log
	// holds either are also LostCommands.
	RecordsNotInLog int64 `json:"records_not_in_log"`

	Logs     []LogSummary `json:"logs"`
	Examples []Example    `json:"examples"`
}

// OK reports whether the run shows no violation.
func (r *Result) OK() bool {
	return r.ConsistencyViolations == 0 && r.OrderingViolations == 0 && r.LostCommands == 0 &&
		r.RecordMismatches == 0 && r.TimestampViolations == 0 && r.ReusedTimestamps == 0
}
