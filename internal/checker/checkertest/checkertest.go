package checkertest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// Fixture returns the directory of a committed real run: "pompe" or
// "hotstuff", 4 replicas, 2 clients at 60 commands/s, batches of up to 4
// (pompe local --clients 2 --rate 60 --batch 4 --inflight 1 --duration 1s).
func Fixture(mode string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", mode)
}

// Copy copies the fixture of mode into a new temporary directory.
func Copy(t testing.TB, mode string) string {
	t.Helper()
	from := Fixture(mode)
	dir := t.TempDir()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Records returns every client record in dir.
func Records(t testing.TB, dir string) []runlog.ClientRecord {
	t.Helper()
	var out []runlog.ClientRecord
	EditRecords(t, dir, func(r *runlog.ClientRecord) bool { out = append(out, *r); return true })
	return out
}

// EditRecords rewrites every client record file of dir through edit; a
// record for which edit returns false is dropped.
func EditRecords(t testing.TB, dir string, edit func(*runlog.ClientRecord) bool) {
	t.Helper()
	for _, path := range glob(t, dir, "client*.records.jsonl") {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var recs []runlog.ClientRecord
		r := runlog.NewClientRecordReader(f)
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if edit(&rec) {
				recs = append(recs, rec)
			}
		}
		f.Close()
		w, err := runlog.CreateClientRecords(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			w.Write(rec)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// EditLogs rewrites every execution log of dir through edit; an entry for
// which edit returns false is dropped.
func EditLogs(t testing.TB, dir string, edit func(replica int, e *runlog.ExecEntry) bool) {
	t.Helper()
	for _, path := range glob(t, dir, "replica*.exec.tsv") {
		replica, _ := runlog.ParseExecLogName(filepath.Base(path))
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var es []runlog.ExecEntry
		r := runlog.NewExecReader(f)
		for {
			e, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if edit(replica, &e) {
				es = append(es, e)
			}
		}
		f.Close()
		w, err := runlog.CreateExecLog(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			w.Write(e)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func glob(t testing.TB, dir, pattern string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no %s in %s (%v)", pattern, dir, err)
	}
	return paths
}

// Mutation turns a clean run into one that breaks one rule.
type Mutation struct {
	Name string
	// Kind is the checker example kind the violation must be reported as.
	Kind string
	// Apply edits the run in dir (a copy of the pompe fixture).
	Apply func(t testing.TB, dir string)
}

// Mutations are the violations the checker must catch, each made by
// editing a real run's records as a faulty or lying cluster would leave
// them.
var Mutations = []Mutation{
	{"acknowledged command missing from every log", "lost", loseCommand},
	{"log ts differs from the client's assigned_ts in every log", "assigned-ts", moveLogTs},
	{"assigned ts outside the correct replicas' range", "ts-range", tsOutOfRange},
	{"assigned ts that cannot be the median at index f", "ts-median", tsNotMedian},
	{"one replica gives one ts to two batches", "reused-ts", reuseTs},
	{"client told another place than the logs show", "record-mismatch", movePlace},
}

// acknowledged returns the single-attempt acknowledged records of dir
// with four replica timestamps, in file order.
func acknowledged(t testing.TB, dir string) []runlog.ClientRecord {
	t.Helper()
	var out []runlog.ClientRecord
	for _, r := range Records(t, dir) {
		if r.ExecutedUs != 0 && r.Attempts == 1 && len(r.ReplicaTs) == 4 {
			out = append(out, r)
		}
	}
	if len(out) < 10 {
		t.Fatalf("fixture %s has %d usable records", dir, len(out))
	}
	return out
}

// sortedTs returns the timestamps of r in ascending order.
func sortedTs(r runlog.ClientRecord) []uint64 {
	var ts []uint64
	for _, x := range r.ReplicaTs {
		ts = append(ts, x.TsUs)
	}
	slices.Sort(ts)
	return ts
}

// setBatchTs gives batch d the timestamp ts in every log and, if record is
// set, as every record's assigned_ts.
func setBatchTs(t testing.TB, dir string, d runlog.Digest, ts uint64, record bool) {
	EditLogs(t, dir, func(_ int, e *runlog.ExecEntry) bool {
		if e.Digest == d {
			e.TsUs = ts
		}
		return true
	})
	if record {
		EditRecords(t, dir, func(r *runlog.ClientRecord) bool {
			if r.Digest == d {
				r.AssignedTsUs = ts
			}
			return true
		})
	}
}

func loseCommand(t testing.TB, dir string) {
	victim := acknowledged(t, dir)[5]
	EditLogs(t, dir, func(_ int, e *runlog.ExecEntry) bool { return e.Client != victim.Client || e.Seq != victim.Seq })
}

// moveLogTs gives a batch, in every log, the other timestamp that could be
// its median (so only the disagreement with the client remains).
func moveLogTs(t testing.TB, dir string) {
	r := acknowledged(t, dir)[5]
	ts := sortedTs(r) // with f = 1, index 1 or 2 of these four
	other := ts[1]
	if r.AssignedTsUs == ts[1] {
		other = ts[2]
	}
	if other == r.AssignedTsUs {
		t.Fatalf("record %+v: two equal timestamps", r)
	}
	setBatchTs(t, dir, r.Digest, other, false)
}

func tsOutOfRange(t testing.TB, dir string) {
	r := acknowledged(t, dir)[5]
	setBatchTs(t, dir, r.Digest, sortedTs(r)[3]+1000, true)
}

// tsNotMedian gives a batch the lowest of its four timestamps: inside the
// range, but only one of them is at or below it, and the value at index
// f = 1 of any three has two.
func tsNotMedian(t testing.TB, dir string) {
	r := acknowledged(t, dir)[5]
	setBatchTs(t, dir, r.Digest, sortedTs(r)[0], true)
}

// reuseTs makes replica r report, for a later batch B, the timestamp it
// gave an earlier batch A, choosing r among those below B's median so the
// rest of B's record stays valid.
func reuseTs(t testing.TB, dir string) {
	acks := acknowledged(t, dir)
	a := acks[2]
	for _, b := range acks[5:] {
		if b.Digest == a.Digest {
			continue
		}
		for _, x := range b.ReplicaTs {
			if x.TsUs >= b.AssignedTsUs {
				continue
			}
			var tsA uint64
			for _, y := range a.ReplicaTs {
				if y.Replica == x.Replica {
					tsA = y.TsUs
				}
			}
			if tsA == 0 || tsA >= b.AssignedTsUs {
				continue
			}
			EditRecords(t, dir, func(r *runlog.ClientRecord) bool {
				if r.Digest == b.Digest {
					for i := range r.ReplicaTs {
						if r.ReplicaTs[i].Replica == x.Replica {
							r.ReplicaTs[i].TsUs = tsA
						}
					}
				}
				return true
			})
			return
		}
	}
	t.Fatal("no batch to reuse a timestamp in")
}

func movePlace(t testing.TB, dir string) {
	victim := acknowledged(t, dir)[5]
	EditRecords(t, dir, func(r *runlog.ClientRecord) bool {
		if r.Client == victim.Client && r.Seq == victim.Seq {
			r.Height++
		}
		return true
	})
}
