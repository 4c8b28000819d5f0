package checker

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// Options configure Check. The zero value checks every replica as correct
// and keeps DefaultMaxExamples examples per kind.
type Options struct {
	// Correct lists the replicas known to be correct. Only their logs are
	// compared and only their timestamps count. Empty means all replicas.
	// A non-empty list must name at least n-f distinct existing replicas
	// (see validateCorrect); Check refuses anything else with an error
	// wrapping ErrBadCorrect.
	Correct []int
	// MaxExamples bounds the examples kept per kind of violation.
	MaxExamples int
}

// maxRecordedTimestamps is how many replica timestamps a client keeps per
// batch for its records (pkg/client: maxReplicaTimestamps). A record that
// holds this many may have dropped some, so the timestamp checks, which
// need every reply the proof could have used, skip it.
const maxRecordedTimestamps = 4096

// Check verifies the run recorded in dir: execution logs named
// replicaN.exec.tsv and client records named clientN.records.jsonl (other
// files are ignored). It returns an error only if the records cannot be
// read or opts is invalid; violations are reported in the Result.
func Check(dir string, opts Options) (Result, error) {
	s, err := Locate(dir)
	if err != nil {
		return Result{}, err
	}
	if len(s.ExecLogs) == 0 {
		return Result{}, fmt.Errorf("checker: no execution log (replicaN.exec.tsv) in %s", dir)
	}
	return CheckSources(s, opts)
}

// CheckSources verifies the run whose files s names.
func CheckSources(s Sources, opts Options) (Result, error) {
	if opts.MaxExamples <= 0 {
		opts.MaxExamples = DefaultMaxExamples
	}
	n, f, inferred := s.clusterSize()
	if err := validateCorrect(opts.Correct, n, f, inferred); err != nil {
		return Result{}, err
	}
	replicas := s.replicaIDs()
	if len(opts.Correct) > 0 {
		replicas = slices.DeleteFunc(replicas, func(r int) bool { return !slices.Contains(opts.Correct, r) })
	}
	if len(replicas) == 0 {
		return Result{}, errors.New("checker: no execution log of a correct replica")
	}

	cons, err := checkLogs(s, replicas, opts.MaxExamples)
	if err != nil {
		return Result{}, err
	}
	res := Result{
		N: n, F: f,
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
	order, err := readExecutionOrder(s.ExecLogs[longest.Replica])
	if err != nil {
		return Result{}, err
	}
	res.Commands = int64(len(order.keys))

	var correct func(uint32) bool
	if len(opts.Correct) > 0 {
		set := make(map[uint32]bool, len(opts.Correct))
		for _, r := range opts.Correct {
			set[uint32(r)] = true
		}
		correct = func(r uint32) bool { return set[r] }
	}
	rc := &recordCheck{order: order, f: f, correct: correct, maxExamples: opts.MaxExamples, res: &res,
		missingAt: map[Key]int{}}
	for _, path := range s.ClientRecords {
		if err := rc.addRecords(path); err != nil {
			return Result{}, err
		}
	}
	if err := rc.findLost(s, replicas, longest.Replica); err != nil {
		return Result{}, err
	}
	rc.findReusedTimestamps()
	res.Examples = append(res.Examples, rc.examples...)

	timed := order.timedCommands(&res)
	res.TimedCommands = int64(len(timed))
	ord := CheckOrdering(timed, opts.MaxExamples)
	res.OrderingViolations = ord.Violations
	res.Examples = append(res.Examples, ord.Examples...)
	return res, nil
}

func checkLogs(s Sources, replicas []int, maxExamples int) (ConsistencyReport, error) {
	logs := make([]ReplicaLog, 0, len(replicas))
	for _, r := range replicas {
		f, err := os.Open(s.ExecLogs[r])
		if err != nil {
			return ConsistencyReport{}, fmt.Errorf("checker: %w", err)
		}
		defer f.Close()
		logs = append(logs, ReplicaLog{Replica: r, Stream: runlog.NewExecReader(f)})
	}
	return CheckConsistency(logs, maxExamples)
}

// executedBatch is one batch of the order log: its digest and the
// timestamp it executed with.
type executedBatch struct {
	digest runlog.Digest
	tsUs   uint64
	// timestamped: the replica timestamps of a record of this batch were
	// collected for the reused-timestamp check (once per batch suffices:
	// every command of a batch carries the same ones).
	timestamped bool
}

// executionOrder is the order log joined with client records: for each
// distinct executed command, in execution order, its key, place, batch
// and correct timestamp range.
type executionOrder struct {
	index   map[Key]int32
	keys    []Key
	places  []Place
	entry   []int64 // entry number in the order log
	batchOf []int32 // index into batches
	batches []executedBatch
	minTs   []uint64
	maxTs   []uint64
	timed   []bool // some correct replica gave the command a timestamp
	record  []bool // some client record mentions the command
}

func readExecutionOrder(path string) (*executionOrder, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checker: %w", err)
	}
	defer f.Close()
	o := &executionOrder{index: make(map[Key]int32)}
	r := runlog.NewExecReader(f)
	var last Place
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
		p := placeOf(e)
		if len(o.batches) == 0 || p.Height != last.Height || p.Position != last.Position ||
			e.Digest != o.batches[len(o.batches)-1].digest {
			o.batches = append(o.batches, executedBatch{digest: e.Digest, tsUs: e.TsUs})
		}
		last = p
		o.index[k] = int32(len(o.keys))
		o.keys = append(o.keys, k)
		o.places = append(o.places, p)
		o.entry = append(o.entry, entry)
		o.batchOf = append(o.batchOf, int32(len(o.batches)-1))
	}
	n := len(o.keys)
	o.minTs, o.maxTs = make([]uint64, n), make([]uint64, n)
	o.timed, o.record = make([]bool, n), make([]bool, n)
	return o, nil
}

// recordCheck joins client records with the order log.
type recordCheck struct {
	order       *executionOrder
	f           int
	correct     func(uint32) bool // nil: every replica
	maxExamples int
	res         *Result

	// missing holds acknowledged commands absent from the order log, in
	// the order read, with where their client says they executed;
	// missingAt indexes it.
	missing   []missingCommand
	missingAt map[Key]int
	// stamps are (replica, ts, batch) of correct replicas, one set per
	// batch, for the reused-timestamp check.
	stamps []stamp

	examples []Example
	perKind  map[string]int
}

type missingCommand struct {
	key    Key
	place  Place
	digest runlog.Digest
	found  bool // in some other correct log
}

type stamp struct {
	replica uint32
	tsUs    uint64
	batch   int32
}

func (c *recordCheck) isCorrect(r uint32) bool { return c.correct == nil || c.correct(r) }

func (c *recordCheck) example(ex Example) {
	if c.perKind == nil {
		c.perKind = map[string]int{}
	}
	if c.perKind[ex.Kind] < c.maxExamples {
		c.perKind[ex.Kind]++
		c.examples = append(c.examples, ex)
	}
}

// addRecords reads one client record file.
func (c *recordCheck) addRecords(path string) error {
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
		c.res.ClientRecords++
		c.add(&rec)
	}
}

func (c *recordCheck) add(rec *runlog.ClientRecord) {
	o := c.order
	key := Key{Client: rec.Client, Seq: rec.Seq}
	i, executed := o.index[key]
	if !executed {
		if rec.ExecutedUs != 0 {
			c.res.RecordsNotInLog++
			if _, seen := c.missingAt[key]; !seen {
				c.missingAt[key] = len(c.missing)
				c.missing = append(c.missing, missingCommand{key: key, digest: rec.Digest,
					place: Place{Height: rec.Height, Position: rec.Position}})
			}
		}
		return
	}
	o.record[i] = true
	if lo, hi, ok := TimestampBounds(rec, c.correct); ok {
		if o.timed[i] {
			lo, hi = min(lo, o.minTs[i]), max(hi, o.maxTs[i])
		}
		o.minTs[i], o.maxTs[i], o.timed[i] = lo, hi, true
	}
	if rec.ExecutedUs != 0 {
		c.compare(rec, i)
	}
}

// compare checks an acknowledged record against the logs: the client
// accepted f+1 matching execution reports, so at least one correct replica
// executed the command where the record says, with the timestamp it says.
func (c *recordCheck) compare(rec *runlog.ClientRecord, i int32) {
	o := c.order
	b := &o.batches[o.batchOf[i]]
	p := o.places[i]
	key := o.keys[i]
	if rec.Digest != b.digest {
		// With several attempts the client may have accepted the report of
		// a later attempt that found the command already executed by an
		// earlier one: the logs then show the earlier batch. With one
		// attempt there is no other batch.
		if rec.Attempts <= 1 {
			c.res.RecordMismatches++
			c.example(Example{Kind: KindRecordMismatch, Entry: o.entry[i], Command: key,
				Detail: fmt.Sprintf("command %s: its client accepted batch %s at height %d, position %d (one attempt), "+
					"but the logs executed it in batch %s at %s",
					describeKey(key), rec.Digest, rec.Height, rec.Position, b.digest, describePlace(p))})
		}
		return
	}
	if rec.Height != p.Height || rec.Position != p.Position {
		c.res.RecordMismatches++
		c.example(Example{Kind: KindRecordMismatch, Entry: o.entry[i], Command: key,
			Detail: fmt.Sprintf("command %s in batch %s: its client accepted height %d, position %d, but the logs executed it at %s",
				describeKey(key), b.digest, rec.Height, rec.Position, describePlace(p))})
	}
	if rec.AssignedTsUs != 0 && rec.AssignedTsUs != b.tsUs {
		c.res.RecordMismatches++
		c.example(Example{Kind: KindAssignedTs, Entry: o.entry[i], Command: key,
			Detail: fmt.Sprintf("command %s in batch %s at %s: the logs executed it with ts %d, its client's assigned_ts is %d",
				describeKey(key), b.digest, describePlace(p), b.tsUs, rec.AssignedTsUs)})
	}
	if len(rec.ReplicaTs) == 0 || len(rec.ReplicaTs) >= maxRecordedTimestamps {
		return // baseline mode, or timestamps the client could not all keep
	}
	c.checkTimestamp(rec, i, b)
	if rec.Attempts <= 1 && !b.timestamped {
		b.timestamped = true
		for _, ts := range rec.ReplicaTs {
			if c.isCorrect(ts.Replica) {
				c.stamps = append(c.stamps, stamp{replica: ts.Replica, tsUs: ts.TsUs, batch: o.batchOf[i]})
			}
		}
	}
}

// checkTimestamp checks that the batch's executed timestamp can be what
// the protocol makes it (docs/protocol.md section 2, step 3): the value at index
// f of 2f+1 timestamps from distinct replicas, all of which the client
// recorded. So it is one of the recorded values, at least f+1 recorded
// values are at or below it and f+1 at or above it, and it lies within
// the range of the correct replicas' timestamps (see validateCorrect).
// Over several attempts the recorded values are a superset of the
// executed attempt's, which keeps every condition necessary.
func (c *recordCheck) checkTimestamp(rec *runlog.ClientRecord, i int32, b *executedBatch) {
	o := c.order
	ts := b.tsUs
	key := o.keys[i]
	if lo, hi, ok := TimestampBounds(rec, c.correct); ok && (ts < lo || ts > hi) {
		c.res.TimestampViolations++
		c.example(Example{Kind: KindTimestampRange, Entry: o.entry[i], Command: key,
			Detail: fmt.Sprintf("command %s in batch %s at %s executed with ts %d, outside the correct replicas' timestamps %d..%d",
				describeKey(key), b.digest, describePlace(o.places[i]), ts, lo, hi)})
		return
	}
	below, above, equal := 0, 0, false
	for _, r := range rec.ReplicaTs {
		if r.TsUs <= ts {
			below++
		}
		if r.TsUs >= ts {
			above++
		}
		equal = equal || r.TsUs == ts
	}
	if equal && below >= c.f+1 && above >= c.f+1 {
		return
	}
	c.res.TimestampViolations++
	why := fmt.Sprintf("%d of the %d recorded timestamps are at or below it and %d at or above it, where the median at index f = %d of 2f+1 needs %d on each side",
		below, len(rec.ReplicaTs), above, c.f, c.f+1)
	if !equal {
		why = "no replica gave that timestamp"
	}
	c.example(Example{Kind: KindTimestampMedian, Entry: o.entry[i], Command: key,
		Detail: fmt.Sprintf("command %s in batch %s at %s executed with ts %d, which cannot be the median of its timestamp proof: %s",
			describeKey(key), b.digest, describePlace(o.places[i]), ts, why)})
}

// findLost looks for the acknowledged commands missing from the order log
// in the other correct logs; those in none are lost. An acknowledged
// command had f+1 matching execution reports, so some replica among any
// n-f executed it (see validateCorrect) and its log holds it.
func (c *recordCheck) findLost(s Sources, replicas []int, orderReplica int) error {
	if len(c.missing) == 0 {
		return nil
	}
	for _, r := range replicas {
		if r == orderReplica {
			continue
		}
		if err := c.scanForMissing(s.ExecLogs[r]); err != nil {
			return err
		}
	}
	for _, m := range c.missing {
		if m.found {
			continue
		}
		c.res.LostCommands++
		c.example(Example{Kind: KindLost, Entry: -1, Command: m.key,
			Detail: fmt.Sprintf("command %s: its client accepted its execution in batch %s at height %d, position %d, "+
				"but no correct replica's log holds it (replicas %v checked)",
				describeKey(m.key), m.digest, m.place.Height, m.place.Position, replicas)})
	}
	return nil
}

func (c *recordCheck) scanForMissing(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("checker: %w", err)
	}
	defer f.Close()
	r := runlog.NewExecReader(f)
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) || errors.Is(err, runlog.ErrTruncated) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("checker: %s: %w", path, err)
		}
		if i, ok := c.missingAt[keyOf(e)]; ok {
			c.missing[i].found = true
		}
	}
}

// findReusedTimestamps reports a correct replica that gave one timestamp
// to two different batches: a correct replica's timestamps strictly
// increase (docs/protocol.md section 1), so each names one batch. Only records
// of single-attempt commands take part: their timestamps all belong to the
// batch that executed, whereas those of a retried command mix attempts.
func (c *recordCheck) findReusedTimestamps() {
	slices.SortFunc(c.stamps, func(a, b stamp) int {
		return cmp.Or(cmp.Compare(a.replica, b.replica), cmp.Compare(a.tsUs, b.tsUs), cmp.Compare(a.batch, b.batch))
	})
	o := c.order
	for j := 1; j < len(c.stamps); j++ {
		a, b := c.stamps[j-1], c.stamps[j]
		if a.replica != b.replica || a.tsUs != b.tsUs {
			continue
		}
		ba, bb := o.batches[a.batch], o.batches[b.batch]
		if ba.digest == bb.digest {
			continue
		}
		c.res.ReusedTimestamps++
		c.example(Example{Kind: KindReusedTs, Entry: -1, Replicas: []int{int(a.replica)},
			Detail: fmt.Sprintf("replica %d gave ts %d to two different batches, %s and %s; a correct replica's timestamps strictly increase",
				a.replica, a.tsUs, ba.digest, bb.digest)})
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
