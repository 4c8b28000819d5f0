package checker

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// ExecStream yields the entries of one execution log in order, and io.EOF
// after the last. *runlog.ExecReader implements it. An error wrapping
// runlog.ErrTruncated ends the log (a torn last line); any other error
// aborts the check.
type ExecStream interface {
	Next() (runlog.ExecEntry, error)
}

// ReplicaLog is the execution log of one replica.
type ReplicaLog struct {
	Replica int
	Stream  ExecStream
}

// ConsistencyReport is the outcome of CheckConsistency.
type ConsistencyReport struct {
	Logs                []LogSummary
	MismatchedEntries   int64
	DuplicateExecutions int64
	Examples            []Example
}

// Violations is the number of consistency violations.
func (r *ConsistencyReport) Violations() int64 { return r.MismatchedEntries + r.DuplicateExecutions }

// slot is what the check remembers of an entry: enough to find repeated
// executions and to describe them.
type slot struct {
	key   Key
	place Place
}

// override records an entry of one log that differs from the reference
// entry at the same entry number.
type override struct {
	entry int64
	slot  slot
}

// CheckConsistency compares logs entry by entry. A shorter log must be a
// prefix of every longer one (its replica is only behind); every entry
// number at which two present entries differ in any field counts as one
// mismatch. Separately, each log must execute a command (client, seq) at
// most once; every repeated execution counts as one duplicate. maxExamples
// bounds the examples kept per kind (0 means DefaultMaxExamples).
//
// Memory: one slot per entry of the longest log, plus one per entry where
// a log differs from the reference (the lowest-numbered log still present).
func CheckConsistency(logs []ReplicaLog, maxExamples int) (ConsistencyReport, error) {
	if maxExamples <= 0 {
		maxExamples = DefaultMaxExamples
	}
	logs = slices.Clone(logs)
	slices.SortFunc(logs, func(a, b ReplicaLog) int { return a.Replica - b.Replica })
	for i := 1; i < len(logs); i++ {
		if logs[i].Replica == logs[i-1].Replica {
			return ConsistencyReport{}, fmt.Errorf("checker: replica %d has two logs", logs[i].Replica)
		}
	}
	rep := ConsistencyReport{Logs: make([]LogSummary, len(logs))}
	for i, l := range logs {
		rep.Logs[i].Replica = l.Replica
	}
	var (
		reference []slot
		overrides = make([][]override, len(logs))
		active    = make([]bool, len(logs))
		current   = make([]runlog.ExecEntry, len(logs))
		examples  = 0
	)
	for i := range active {
		active[i] = true
	}
	for entry := int64(0); ; entry++ {
		ref := -1 // index of the reference log at this entry number
		for i, l := range logs {
			if !active[i] {
				continue
			}
			e, err := l.Stream.Next()
			if err != nil {
				active[i] = false
				if errors.Is(err, io.EOF) {
					continue
				}
				if errors.Is(err, runlog.ErrTruncated) {
					rep.Logs[i].Truncated = true
					continue
				}
				return rep, fmt.Errorf("checker: replica %d log: %w", l.Replica, err)
			}
			rep.Logs[i].Entries++
			current[i] = e
			if ref < 0 {
				ref = i
				reference = append(reference, slot{keyOf(e), placeOf(e)})
				continue
			}
			if e == current[ref] {
				continue
			}
			overrides[i] = append(overrides[i], override{entry, slot{keyOf(e), placeOf(e)}})
		}
		if ref < 0 {
			break
		}
		differing := -1
		for i := ref + 1; i < len(logs); i++ {
			if active[i] && rep.Logs[i].Entries == entry+1 && current[i] != current[ref] {
				differing = i
				break
			}
		}
		if differing >= 0 {
			rep.MismatchedEntries++
			if examples < maxExamples {
				examples++
				rep.Examples = append(rep.Examples, Example{
					Kind: KindMismatch, Entry: entry, Command: keyOf(current[ref]),
					Replicas: []int{logs[ref].Replica, logs[differing].Replica},
					Detail: fmt.Sprintf("entry %d: replica %d has %s, replica %d has %s", entry,
						logs[ref].Replica, describeEntry(current[ref]), logs[differing].Replica,
						describeEntry(current[differing])),
				})
			}
		}
	}
	findDuplicates(&rep, logs, reference, overrides, maxExamples)
	return rep, nil
}

// findDuplicates counts repeated executions in every log, rebuilding each
// log's sequence from the reference and that log's overrides. Logs that
// never differ from the reference share their result by length.
func findDuplicates(rep *ConsistencyReport, logs []ReplicaLog, reference []slot, overrides [][]override, maxExamples int) {
	type found struct {
		count    int64
		examples []Example
	}
	byLength := map[int64]found{}
	examples := 0
	for i := range logs {
		n := rep.Logs[i].Entries
		f, cached := byLength[n]
		if !cached || len(overrides[i]) > 0 {
			f = found{}
			seq := logSequence{reference: reference, overrides: overrides[i]}
			seen := make(map[Key]int64, n)
			for entry := range n {
				s := seq.next(entry)
				first, dup := seen[s.key]
				if !dup {
					seen[s.key] = entry
					continue
				}
				f.count++
				if len(f.examples) < maxExamples {
					f.examples = append(f.examples, Example{
						Kind: KindDuplicate, Entry: entry, Command: s.key,
						Detail: fmt.Sprintf("command %s executed at entry %d (%s) and again at entry %d (%s)",
							describeKey(s.key), first, describePlace(seq.at(first).place), entry, describePlace(s.place)),
					})
				}
			}
			if len(overrides[i]) == 0 {
				byLength[n] = f
			}
		}
		rep.DuplicateExecutions += f.count
		for _, ex := range f.examples {
			if examples == maxExamples {
				break
			}
			examples++
			ex.Replicas = []int{logs[i].Replica}
			ex.Detail = fmt.Sprintf("replica %d: %s", logs[i].Replica, ex.Detail)
			rep.Examples = append(rep.Examples, ex)
		}
	}
}

// logSequence is one log's entries: the reference, except where the log
// has overrides (sorted by entry number).
type logSequence struct {
	reference []slot
	overrides []override
	cursor    int // next override for sequential reads
}

// next returns the slot at entry, for entry = 0, 1, 2, ... in turn.
func (s *logSequence) next(entry int64) slot {
	if s.cursor < len(s.overrides) && s.overrides[s.cursor].entry == entry {
		s.cursor++
		return s.overrides[s.cursor-1].slot
	}
	return s.reference[entry]
}

// at returns the slot at any entry number.
func (s *logSequence) at(entry int64) slot {
	i, found := slices.BinarySearchFunc(s.overrides, entry, func(o override, e int64) int { return cmp.Compare(o.entry, e) })
	if found {
		return s.overrides[i].slot
	}
	return s.reference[entry]
}

func describeKey(k Key) string { return fmt.Sprintf("(client %s, seq %d)", k.Client, k.Seq) }

func describePlace(p Place) string {
	return fmt.Sprintf("height %d, position %d, index %d", p.Height, p.Position, p.Index)
}

func describeEntry(e runlog.ExecEntry) string {
	return fmt.Sprintf("%s at %s, digest %s, ts %d", describeKey(keyOf(e)), describePlace(placeOf(e)), e.Digest, e.TsUs)
}
