package checker

import (
	"slices"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/runlog"
)

func TestCheckConsistency(t *testing.T) {
	base := cleanLog(10)
	with := func(es []runlog.ExecEntry, i int, e runlog.ExecEntry) []runlog.ExecEntry {
		out := slices.Clone(es)
		out[i] = e
		return out
	}
	shifted := slices.Insert(slices.Clone(base[:8]), 3, entry(3, 9, 99)) // 9 entries, 6..8 shifted
	otherTs := with(base, 4, func() runlog.ExecEntry { e := base[4]; e.TsUs++; return e }())
	dup := with(base, 7, entry(7, 1, 2))

	tests := []struct {
		name        string
		logs        [][]runlog.ExecEntry
		truncated   []bool
		mismatches  int64
		duplicates  int64
		wantKinds   []string
		wantEntries []int64
	}{
		{name: "identical", logs: [][]runlog.ExecEntry{base, base, base, base}},
		{name: "one behind", logs: [][]runlog.ExecEntry{base, base[:4], base, base[:0]}},
		{name: "single log", logs: [][]runlog.ExecEntry{base}},
		{name: "no logs", logs: nil},
		{name: "different command at one entry", logs: [][]runlog.ExecEntry{base, with(base, 5, entry(5, 2, 5))},
			mismatches: 1, wantKinds: []string{KindMismatch}, wantEntries: []int64{5}},
		{name: "lagging log differs", logs: [][]runlog.ExecEntry{base, with(base, 2, entry(2, 2, 2))[:3]},
			mismatches: 1, wantKinds: []string{KindMismatch}, wantEntries: []int64{2}},
		{name: "insertion shifts the rest", logs: [][]runlog.ExecEntry{base, shifted},
			mismatches: 6, wantKinds: slices.Repeat([]string{KindMismatch}, 5), wantEntries: []int64{3, 4, 5, 6, 7}},
		{name: "same command, other timestamp", logs: [][]runlog.ExecEntry{base, base, otherTs},
			mismatches: 1, wantKinds: []string{KindMismatch}, wantEntries: []int64{4}},
		{name: "duplicate in one log", logs: [][]runlog.ExecEntry{base, dup},
			mismatches: 1, duplicates: 1, wantKinds: []string{KindMismatch, KindDuplicate}, wantEntries: []int64{7, 7}},
		{name: "duplicate in every log", logs: [][]runlog.ExecEntry{dup, dup, dup[:7]},
			duplicates: 2, wantKinds: []string{KindDuplicate, KindDuplicate}, wantEntries: []int64{7, 7}},
		{name: "reference log ends, later logs differ",
			logs:       [][]runlog.ExecEntry{base[:3], base, with(base, 6, entry(6, 3, 6))},
			mismatches: 1, wantKinds: []string{KindMismatch}, wantEntries: []int64{6}},
		{name: "torn last line ends a log", logs: [][]runlog.ExecEntry{base, base[:5]}, truncated: []bool{false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs []ReplicaLog
			for i, es := range tt.logs {
				s := &sliceStream{entries: es}
				if tt.truncated != nil && tt.truncated[i] {
					s.end = runlog.ErrTruncated
				}
				// Reverse order: the check must not depend on input order.
				logs = append([]ReplicaLog{{Replica: i, Stream: s}}, logs...)
			}
			rep, err := CheckConsistency(logs, 5)
			if err != nil {
				t.Fatal(err)
			}
			if rep.MismatchedEntries != tt.mismatches || rep.DuplicateExecutions != tt.duplicates {
				t.Fatalf("mismatches %d, duplicates %d; want %d, %d (examples %+v)",
					rep.MismatchedEntries, rep.DuplicateExecutions, tt.mismatches, tt.duplicates, rep.Examples)
			}
			var kinds []string
			var entries []int64
			for _, ex := range rep.Examples {
				kinds = append(kinds, ex.Kind)
				entries = append(entries, ex.Entry)
				if ex.Detail == "" || len(ex.Replicas) == 0 {
					t.Fatalf("example without detail: %+v", ex)
				}
			}
			if !slices.Equal(kinds, tt.wantKinds) || !slices.Equal(entries, tt.wantEntries) {
				t.Fatalf("examples %v at %v, want %v at %v", kinds, entries, tt.wantKinds, tt.wantEntries)
			}
			for i, l := range rep.Logs {
				if l.Replica != i || l.Entries != int64(len(tt.logs[i])) {
					t.Fatalf("log summary %+v, want replica %d with %d entries", l, i, len(tt.logs[i]))
				}
				if want := tt.truncated != nil && tt.truncated[i]; l.Truncated != want {
					t.Fatalf("log %d truncated = %v", i, l.Truncated)
				}
			}
		})
	}
}

func TestCheckConsistencyExampleDetails(t *testing.T) {
	base := cleanLog(4)
	bad := slices.Clone(base)
	bad[2] = entry(2, 1, 0)
	rep, err := CheckConsistency([]ReplicaLog{
		{Replica: 3, Stream: &sliceStream{entries: base}},
		{Replica: 7, Stream: &sliceStream{entries: bad}},
	}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Examples) != 2 {
		t.Fatalf("examples %+v", rep.Examples)
	}
	mismatch, duplicate := rep.Examples[0], rep.Examples[1]
	if !slices.Equal(mismatch.Replicas, []int{3, 7}) || !strings.Contains(mismatch.Detail, "replica 7 has (client 01") {
		t.Fatalf("mismatch example %+v", mismatch)
	}
	if !slices.Equal(duplicate.Replicas, []int{7}) ||
		!strings.Contains(duplicate.Detail, "entry 0 (height 1, position 0, index 0) and again at entry 2 (height 2") {
		t.Fatalf("duplicate example %+v", duplicate)
	}
}

func TestCheckConsistencyBoundsExamples(t *testing.T) {
	a, b := cleanLog(100), cleanLog(100)
	for i := range b {
		b[i].TsUs++
	}
	rep, err := CheckConsistency([]ReplicaLog{{0, &sliceStream{entries: a}}, {1, &sliceStream{entries: b}}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if rep.MismatchedEntries != 100 || len(rep.Examples) != 3 {
		t.Fatalf("%d mismatches, %d examples", rep.MismatchedEntries, len(rep.Examples))
	}
}

func TestCheckConsistencyErrors(t *testing.T) {
	if _, err := CheckConsistency([]ReplicaLog{
		{Replica: 0, Stream: &sliceStream{entries: cleanLog(3)}},
		{Replica: 1, Stream: &sliceStream{entries: cleanLog(2), end: errDisk}},
	}, 0); err == nil || !strings.Contains(err.Error(), "replica 1") {
		t.Fatalf("read error not reported: %v", err)
	}
	if _, err := CheckConsistency([]ReplicaLog{
		{Replica: 2, Stream: &sliceStream{}}, {Replica: 2, Stream: &sliceStream{}},
	}, 0); err == nil {
		t.Fatal("two logs for one replica accepted")
	}
}
