package checker

import (
	"errors"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/checker/checkertest"
)

// The fixtures are real runs (see checkertest.Fixture); they must pass.
func TestRealRunsPass(t *testing.T) {
	for _, mode := range []string{"pompe", "hotstuff"} {
		t.Run(mode, func(t *testing.T) {
			res, err := checkDir(t, checkertest.Fixture(mode), 4, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK() || res.Commands < 50 || res.ClientRecords < res.Commands || res.RecordsNotInLog != 0 {
				t.Fatalf("result %+v", res)
			}
			if (mode == "pompe") != (res.TimedCommands == res.Commands) {
				t.Fatalf("%s: %d of %d commands timed", mode, res.TimedCommands, res.Commands)
			}
			// Any n-f replicas judge the same run correct.
			for _, correct := range [][]int{{0, 1, 2}, {1, 2, 3}, {0, 2, 3}} {
				if res, err := checkDir(t, checkertest.Fixture(mode), 4, Options{Correct: correct}); err != nil || !res.OK() {
					t.Fatalf("--correct %v: %v %+v", correct, err, res)
				}
			}
		})
	}
}

// TestRealRunMutations edits a real run into one that breaks one rule and
// expects that rule, and only that rule, to be reported.
func TestRealRunMutations(t *testing.T) {
	for _, m := range checkertest.Mutations {
		t.Run(m.Name, func(t *testing.T) {
			dir := checkertest.Copy(t, "pompe")
			m.Apply(t, dir)
			res, err := checkDir(t, dir, 4, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.OK() {
				t.Fatalf("mutated run passes: %+v", res)
			}
			counts := map[string]int64{
				KindLost: res.LostCommands, KindAssignedTs: res.RecordMismatches, KindRecordMismatch: res.RecordMismatches,
				KindTimestampRange: res.TimestampViolations, KindTimestampMedian: res.TimestampViolations,
				KindReusedTs: res.ReusedTimestamps, KindOrdering: res.OrderingViolations,
				KindMismatch: res.ConsistencyViolations, KindDuplicate: res.ConsistencyViolations,
			}
			if counts[m.Kind] == 0 {
				t.Fatalf("no %s counted: %+v", m.Kind, res)
			}
			for _, ex := range res.Examples {
				if ex.Kind != m.Kind {
					t.Errorf("unexpected %s: %s", ex.Kind, ex.Detail)
				}
			}
			if len(res.Examples) == 0 {
				t.Fatal("no example")
			}
			t.Logf("%s: %s", res.Examples[0].Kind, res.Examples[0].Detail)
		})
	}
}

func TestCorrectMustNameEnoughExistingReplicas(t *testing.T) {
	tests := []struct {
		correct []int
		n       int
		has     string
	}{
		{[]int{0, 1}, 4, "at least n-f = 3"},
		{[]int{0, 1, 4}, 4, "replica 4 does not exist"},
		{[]int{0, 1, 1}, 4, "listed twice"},
		{[]int{0, 1, 2, 3}, 7, "at least n-f = 5"},
		{[]int{0, 1, 2, 3}, 0, ""}, // n inferred from the logs: 4
	}
	for _, tt := range tests {
		_, err := checkDir(t, checkertest.Fixture("pompe"), tt.n, Options{Correct: tt.correct})
		if tt.has == "" {
			if err != nil {
				t.Errorf("%v: %v", tt.correct, err)
			}
			continue
		}
		if !errors.Is(err, ErrBadCorrect) || !strings.Contains(err.Error(), tt.has) {
			t.Errorf("--correct %v with n=%d: error %v, want one mentioning %q", tt.correct, tt.n, err, tt.has)
		}
	}
}
