package checker

import (
	"fmt"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// TimedCommand is an executed command with the range of timestamps correct
// replicas gave it: MinTsUs is the lowest and MaxTsUs the highest, over all
// attempts.
type TimedCommand struct {
	Key   Key
	Place Place
	// Entry is the command's entry number in the log that gave the
	// execution order; it only labels examples.
	Entry   int64
	MinTsUs uint64
	MaxTsUs uint64
}

// OrderingReport is the outcome of CheckOrdering.
type OrderingReport struct {
	// Commands is the number of commands checked.
	Commands int64
	// Violations counts commands a executed after some b with
	// b.MinTsUs > a.MaxTsUs.
	Violations int64
	Examples   []Example
}

// CheckOrdering checks ordering linearizability (docs/protocol.md section 1,
// property 3) over commands given in execution order: for every pair, if
// max ts(a) < min ts(b) then a executes before b. Equivalently, no command
// a may execute after some b with min ts(b) > max ts(a); it is such
// commands a that are counted.
//
// One sweep in execution order suffices: keep the largest MinTsUs seen so
// far (with the command that holds it); the current command violates the
// property exactly when its MaxTsUs is below that. O(n) time, O(1) memory.
// Commands with no correct timestamp constrain nothing and must be left
// out by the caller. maxExamples bounds the examples (0 means
// DefaultMaxExamples).
func CheckOrdering(executed []TimedCommand, maxExamples int) OrderingReport {
	if maxExamples <= 0 {
		maxExamples = DefaultMaxExamples
	}
	rep := OrderingReport{Commands: int64(len(executed))}
	latest := -1 // index of the command with the largest MinTsUs so far
	for i, a := range executed {
		if latest >= 0 && a.MaxTsUs < executed[latest].MinTsUs {
			rep.Violations++
			if len(rep.Examples) < maxExamples {
				b := executed[latest]
				rep.Examples = append(rep.Examples, Example{
					Kind: KindOrdering, Entry: a.Entry, Command: a.Key,
					Detail: fmt.Sprintf("command %s at %s (correct ts %d..%d) executed after %s at %s "+
						"(correct ts %d..%d), but all its timestamps are lower",
						describeKey(a.Key), describePlace(a.Place), a.MinTsUs, a.MaxTsUs,
						describeKey(b.Key), describePlace(b.Place), b.MinTsUs, b.MaxTsUs),
				})
			}
		}
		if latest < 0 || a.MinTsUs > executed[latest].MinTsUs {
			latest = i
		}
	}
	return rep
}

// TimestampBounds returns the lowest and highest timestamp that a correct
// replica gave the command of rec, and ok=false if none did. A nil correct
// treats every replica as correct.
func TimestampBounds(rec *runlog.ClientRecord, correct func(replica uint32) bool) (minUs, maxUs uint64, ok bool) {
	for _, ts := range rec.ReplicaTs {
		if correct != nil && !correct(ts.Replica) {
			continue
		}
		if !ok {
			minUs, maxUs, ok = ts.TsUs, ts.TsUs, true
			continue
		}
		minUs, maxUs = min(minUs, ts.TsUs), max(maxUs, ts.TsUs)
	}
	return minUs, maxUs, ok
}
