package checker

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// run describes a run directory to write.
type run struct {
	logs    map[int][]runlog.ExecEntry
	records map[int][]runlog.ClientRecord
	extra   map[string]string // other files
}

func (r run) write(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for replica, es := range r.logs {
		w, err := runlog.CreateExecLog(filepath.Join(dir, runlog.ExecLogName(replica)))
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
	for client, recs := range r.records {
		w, err := runlog.CreateClientRecords(filepath.Join(dir, runlog.ClientRecordsName(client)))
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
	for name, content := range r.extra {
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	}
	return dir
}

// recordOf gives the command of e the timestamps ts from replicas 0, 1, 2, 3.
func recordOf(e runlog.ExecEntry, ts ...uint64) runlog.ClientRecord {
	rec := runlog.ClientRecord{Client: e.Client, Seq: e.Seq, Attempts: 1, ExecutedUs: 1, Height: e.Height,
		Position: e.Position, Digest: e.Digest}
	for i, v := range ts {
		rec.ReplicaTs = append(rec.ReplicaTs, runlog.ReplicaTimestamp{Replica: uint32(i), TsUs: v})
	}
	return rec
}

// orderedRecords gives entry i timestamps around 100*i from four replicas.
func orderedRecords(es []runlog.ExecEntry) []runlog.ClientRecord {
	var out []runlog.ClientRecord
	for i, e := range es {
		base := uint64(100 * (i + 1))
		out = append(out, recordOf(e, base-2, base-1, base, base+1))
	}
	return out
}

// checkDir checks dir as a run of n replicas (0: inferred from the logs).
func checkDir(t *testing.T, dir string, n int, opts Options) (Result, error) {
	t.Helper()
	s, err := Locate(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Replicas = n
	return CheckSources(s, opts)
}

func TestCheckRunDirectory(t *testing.T) {
	clean := cleanLog(20)
	good := orderedRecords(clean)

	// Command 5 executed late: all its timestamps are below those of 4
	// (its batch's ts, 12, is the median of them).
	lateLog := slices.Clone(clean)
	lateLog[5].TsUs = 12
	late := slices.Clone(good)
	late[5] = recordOf(clean[5], 10, 11, 12, 13)
	// Command 5 executed late, but Byzantine replica 3 gave it a high
	// timestamp: extra timestamps only widen ranges, so trusting replica 3
	// hides the violation.
	byzantineTs := slices.Clone(good)
	byzantineTs[5] = recordOf(clean[5], 10, 11, 12, 1000)

	divergent := slices.Clone(clean)
	divergent[7] = entry(7, 2, 7)

	tests := []struct {
		name string
		run  run
		n    int
		opts Options
		want Result // compared on the counters set here
		ok   bool
	}{
		{"clean run", run{logs: map[int][]runlog.ExecEntry{0: clean, 1: clean, 2: clean[:15], 3: clean},
			records: map[int][]runlog.ClientRecord{0: good[:10], 1: good[10:]}, extra: map[string]string{"notes.txt": "x"}},
			0, Options{}, Result{N: 4, F: 1, Replicas: 4, Commands: 20, ClientRecords: 20, TimedCommands: 20}, true},
		{"late command", run{logs: map[int][]runlog.ExecEntry{0: lateLog, 1: lateLog},
			records: map[int][]runlog.ClientRecord{0: late}},
			0, Options{}, Result{N: 2, Replicas: 2, Commands: 20, ClientRecords: 20, TimedCommands: 20, OrderingViolations: 1}, false},
		{"byzantine timestamp ignored", run{logs: map[int][]runlog.ExecEntry{0: lateLog},
			records: map[int][]runlog.ClientRecord{0: byzantineTs}},
			4, Options{Correct: []int{0, 1, 2}}, Result{N: 4, F: 1, Replicas: 1, Commands: 20, ClientRecords: 20, TimedCommands: 20,
				OrderingViolations: 1}, false},
		{"byzantine timestamp trusted masks the violation", run{logs: map[int][]runlog.ExecEntry{0: lateLog},
			records: map[int][]runlog.ClientRecord{0: byzantineTs}},
			4, Options{}, Result{N: 4, F: 1, Replicas: 1, Commands: 20, ClientRecords: 20, TimedCommands: 20}, true},
		{"divergent replica", run{logs: map[int][]runlog.ExecEntry{0: clean, 1: clean, 2: divergent},
			records: map[int][]runlog.ClientRecord{0: good}},
			0, Options{}, Result{N: 3, Replicas: 3, Commands: 20, ClientRecords: 20, TimedCommands: 20,
				ConsistencyViolations: 1, MismatchedEntries: 1}, false},
		{"divergent replica excluded", run{logs: map[int][]runlog.ExecEntry{0: clean, 1: clean, 2: divergent, 3: clean},
			records: map[int][]runlog.ClientRecord{0: good}},
			0, Options{Correct: []int{0, 1, 3}}, Result{N: 4, F: 1, Replicas: 3, Commands: 20, ClientRecords: 20, TimedCommands: 20}, true},
		{"acknowledged commands in no log are lost", run{logs: map[int][]runlog.ExecEntry{4: clean[:12]},
			records: map[int][]runlog.ClientRecord{0: good[2:]}},
			0, Options{}, Result{N: 5, F: 1, Replicas: 1, Commands: 12, OrderReplica: 4, ClientRecords: 18, TimedCommands: 10,
				ExecutedWithoutRecord: 2, RecordsNotInLog: 8, LostCommands: 8}, false},
		{"a command missing from the order log is not lost if another log holds it",
			run{logs: map[int][]runlog.ExecEntry{0: clean, 1: divergent},
				records: map[int][]runlog.ClientRecord{0: append(slices.Clone(good), recordOf(divergent[7], 798, 799, 800, 801))}},
			0, Options{}, Result{N: 2, Replicas: 2, Commands: 20, ClientRecords: 21, TimedCommands: 20,
				ConsistencyViolations: 1, MismatchedEntries: 1, RecordsNotInLog: 1}, false},
		{"unacknowledged commands in no log are not lost", run{logs: map[int][]runlog.ExecEntry{0: clean[:12]},
			records: map[int][]runlog.ClientRecord{0: func() []runlog.ClientRecord {
				out := slices.Clone(good)
				for i := 12; i < len(out); i++ {
					out[i].ExecutedUs, out[i].Digest, out[i].Height, out[i].Position = 0, runlog.Digest{}, 0, 0
				}
				return out
			}()}},
			0, Options{}, Result{N: 1, Replicas: 1, Commands: 12, ClientRecords: 20, TimedCommands: 12}, true},
		{"baseline run without timestamps", run{logs: map[int][]runlog.ExecEntry{0: clean},
			records: map[int][]runlog.ClientRecord{0: func() []runlog.ClientRecord {
				out := orderedRecords(clean)
				for i := range out {
					out[i].ReplicaTs = nil
				}
				return out
			}()}},
			0, Options{}, Result{N: 1, Replicas: 1, Commands: 20, ClientRecords: 20}, true},
		{"duplicate execution", run{logs: map[int][]runlog.ExecEntry{0: append(slices.Clone(clean), entry(20, 1, 3))},
			records: map[int][]runlog.ClientRecord{0: good}},
			0, Options{}, Result{N: 1, Replicas: 1, Commands: 20, ClientRecords: 20, TimedCommands: 20,
				ConsistencyViolations: 1, DuplicateExecutions: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checkDir(t, tt.run.write(t), tt.n, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			counters := got
			counters.Logs, counters.Examples = nil, nil
			if !reflect.DeepEqual(counters, tt.want) {
				t.Fatalf("result %+v\nwant   %+v\nexamples %+v", counters, tt.want, got.Examples)
			}
			if got.OK() != tt.ok || (tt.ok != (len(got.Examples) == 0)) {
				t.Fatalf("OK() = %v with examples %+v", got.OK(), got.Examples)
			}
		})
	}
}

func TestCheckToleratesTornLastLines(t *testing.T) {
	clean := cleanLog(6)
	dir := run{logs: map[int][]runlog.ExecEntry{0: clean, 1: clean},
		records: map[int][]runlog.ClientRecord{0: orderedRecords(clean)}}.write(t)
	for _, name := range []string{runlog.ExecLogName(1), runlog.ClientRecordsName(0)} {
		f, _ := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString("12\t3")
		f.Close()
	}
	res, err := Check(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Commands != 6 || res.ClientRecords != 6 || !res.Logs[1].Truncated || res.Logs[0].Truncated {
		t.Fatalf("result %+v", res)
	}
}

func TestCheckErrors(t *testing.T) {
	tests := []struct {
		name string
		run  run
		opts Options
		has  string
	}{
		{"empty directory", run{}, Options{}, "no execution log"},
		{"correct replica that does not exist", run{logs: map[int][]runlog.ExecEntry{0: cleanLog(1)}}, Options{Correct: []int{1}}, "replica 1 does not exist"},
		{"corrupt log", run{extra: map[string]string{"replica0.exec.tsv": runlog.ExecLogHeader + "\nnonsense\n"}}, Options{}, "replica 0"},
		{"corrupt records", run{logs: map[int][]runlog.ExecEntry{0: cleanLog(1)},
			extra: map[string]string{"client0.records.jsonl": "{]\n"}}, Options{}, "client0.records.jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Check(tt.run.write(t), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.has) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.has)
			}
		})
	}
	if _, err := Check(filepath.Join(t.TempDir(), "missing"), Options{}); err == nil {
		t.Fatal("missing directory accepted")
	}
}

func TestResultJSON(t *testing.T) {
	res := Result{Replicas: 4, ConsistencyViolations: 1, OrderingViolations: 2,
		Examples: []Example{{Kind: KindOrdering, Command: Key{Client: clientID(0xab), Seq: 3}}}}
	b, err := json.Marshal(&res)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"replicas":4`, `"consistency_violations":1`, `"ordering_violations":2`,
		`"commands":0`, `"examples":[{"kind":"ordering"`, `"client":"ab000000000000000000000000000000","seq":3`} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("%s lacks %s", b, want)
		}
	}
}
