package checker

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// Options configure Check. The zero value checks every replica as correct
// and keeps DefaultMaxExamples examples per kind.
type Options struct {
	// Correct lists the replicas known to be correct. Only their logs are
	// compared and only their timestamps count. Empty means all replicas.
	Correct []int
	// MaxExamples bounds the examples kept per kind of violation.
	MaxExamples int
}

// Check verifies the run recorded in dir: execution logs named
// replicaN.exec.tsv and client records named clientN.records.jsonl (other
// files are ignored). It returns an error only if the records cannot be
// read; violations are reported in the Result.
func Check(dir string, opts Options) (Result, error) {
	replicas, clients, err := listRunFiles(dir)
	if err != nil {
		return Result{}, err
	}
	if len(opts.Correct) > 0 {
		replicas = slices.DeleteFunc(replicas, func(r int) bool { return !slices.Contains(opts.Correct, r) })
	}
	if len(replicas) == 0 {
		return Result{}, fmt.Errorf("checker: no execution log of a correct replica in %s", dir)
	}

	cons, err := checkLogsInDir(dir, replicas, opts.MaxExamples)
	if err != nil {
		return Result{}, err
	}
	res := Result{
		Replicas:              len(replicas),
		Logs:                  cons.Logs,
		MismatchedEntries:     cons.MismatchedEntries,
		DuplicateExecutions:   cons.DuplicateExecutions,
		ConsistencyViolations: cons.Violations(),
		Examples:              cons.Examples,
	}

	longest := cons.Logs[0]
	for _, l := range cons.Logs[1:] {
		if l.Entries > longest.Entries {
			longest = l
		}
	}
	res.OrderReplica = longest.Replica
	order, err := readExecutionOrder(filepath.Join(dir, runlog.ExecLogName(longest.Replica)))
	if err != nil {
		return Result{}, err
	}
	res.Commands = int64(len(order.keys))

	var correct func(uint32) bool
	if len(opts.Correct) > 0 {
		set := make(map[uint32]bool, len(opts.Correct))
		for _, r := range opts.Correct {
			if r >= 0 {
				set[uint32(r)] = true
			}
		}
		correct = func(r uint32) bool { return set[r] }
	}
	for _, c := range clients {
		if err := order.addRecords(filepath.Join(dir, runlog.ClientRecordsName(c)), correct, &res); err != nil {
			return Result{}, err
		}
	}
	timed := order.timedCommands(&res)
	res.TimedCommands = int64(len(timed))
	ord := CheckOrdering(timed, opts.MaxExamples)
	res.OrderingViolations = ord.Violations
	res.Examples = append(res.Examples, ord.Examples...)
	return res, nil
}

// listRunFiles returns the replica ids and client indexes of the run
// files in dir, sorted.
func listRunFiles(dir string) (replicas, clients []int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("checker: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if r, ok := runlog.ParseExecLogName(e.Name()); ok {
			replicas = append(replicas, r)
		} else if c, ok := runlog.ParseClientRecordsName(e.Name()); ok {
			clients = append(clients, c)
		}
	}
	slices.Sort(replicas)
	slices.Sort(clients)
	return replicas, clients, nil
}

func checkLogsInDir(dir string, replicas []int, maxExamples int) (ConsistencyReport, error) {
	logs := make([]ReplicaLog, 0, len(replicas))
	for _, r := range replicas {
		f, err := os.Open(filepath.Join(dir, runlog.ExecLogName(r)))
		if err != nil {
			return ConsistencyReport{}, fmt.Errorf("checker: %w", err)
		}
		defer f.Close()
		logs = append(logs, ReplicaLog{Replica: r, Stream: runlog.NewExecReader(f)})
	}
	return CheckConsistency(logs, maxExamples)
}

// executionOrder is the order log joined with client records: for each
// distinct executed command, in execution order, its key, place and
// correct timestamp range.
type executionOrder struct {
	index  map[Key]int32
	keys   []Key
	places []Place
	entry  []int64 // entry number in the order log
	minTs  []uint64
	maxTs  []uint64
	timed  []bool // some correct replica gave the command a timestamp
	record []bool // some client record mentions the command
}

func readExecutionOrder(path string) (*executionOrder, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checker: %w", err)
	}
	defer f.Close()
	o := &executionOrder{index: make(map[Key]int32)}
	r := runlog.NewExecReader(f)
	for entry := int64(0); ; entry++ {
		e, err := r.Next()
		if errors.Is(err, io.EOF) || errors.Is(err, runlog.ErrTruncated) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("checker: %s: %w", path, err)
		}
		k := keyOf(e)
		if _, dup := o.index[k]; dup {
			continue // counted by the consistency check; the first execution counts
		}
		if len(o.keys) == 1<<31-1 {
			return nil, fmt.Errorf("checker: %s: more than %d commands", path, len(o.keys))
		}
		o.index[k] = int32(len(o.keys))
		o.keys = append(o.keys, k)
		o.places = append(o.places, placeOf(e))
		o.entry = append(o.entry, entry)
	}
	n := len(o.keys)
	o.minTs, o.maxTs = make([]uint64, n), make([]uint64, n)
	o.timed, o.record = make([]bool, n), make([]bool, n)
	return o, nil
}

// addRecords merges the timestamps of a client record file into o. A
// command recorded more than once gets the union of its timestamps.
func (o *executionOrder) addRecords(path string, correct func(uint32) bool, res *Result) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("checker: %w", err)
	}
	defer f.Close()
	r := runlog.NewClientRecordReader(f)
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) || errors.Is(err, runlog.ErrTruncated) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("checker: %s: %w", path, err)
		}
		res.ClientRecords++
		i, executed := o.index[Key{Client: rec.Client, Seq: rec.Seq}]
		if !executed {
			if rec.ExecutedUs != 0 {
				res.RecordsNotInLog++
			}
			continue
		}
		o.record[i] = true
		lo, hi, ok := TimestampBounds(&rec, correct)
		if !ok {
			continue
		}
		if o.timed[i] {
			lo, hi = min(lo, o.minTs[i]), max(hi, o.maxTs[i])
		}
		o.minTs[i], o.maxTs[i], o.timed[i] = lo, hi, true
	}
}

// timedCommands returns the commands the ordering check covers, in
// execution order, and counts executed commands without a record.
func (o *executionOrder) timedCommands(res *Result) []TimedCommand {
	var out []TimedCommand
	for i := range o.keys {
		if !o.record[i] {
			res.ExecutedWithoutRecord++
		}
		if o.timed[i] {
			out = append(out, TimedCommand{Key: o.keys[i], Place: o.places[i], Entry: o.entry[i], MinTsUs: o.minTs[i], MaxTsUs: o.maxTs[i]})
		}
	}
	return out
}
