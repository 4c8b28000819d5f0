package checker

import (
	"slices"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/runlog"
	"pgregory.net/rapid"
)

func timed(seq uint64, minTs, maxTs uint64) TimedCommand {
	return TimedCommand{Key: Key{Client: clientID(1), Seq: seq}, Entry: int64(seq), MinTsUs: minTs, MaxTsUs: maxTs}
}

func TestCheckOrdering(t *testing.T) {
	tests := []struct {
		name       string
		executed   []TimedCommand
		violations int64
		late       []uint64 // seqs of the commands reported, in order
	}{
		{"empty", nil, 0, nil},
		{"sorted disjoint", []TimedCommand{timed(0, 1, 2), timed(1, 3, 4), timed(2, 5, 6)}, 0, nil},
		{"overlapping may go either way", []TimedCommand{timed(0, 3, 6), timed(1, 1, 4), timed(2, 5, 9)}, 0, nil},
		{"touching ranges are not ordered", []TimedCommand{timed(0, 5, 6), timed(1, 4, 5)}, 0, nil},
		{"single inversion", []TimedCommand{timed(0, 5, 6), timed(1, 1, 4)}, 1, []uint64{1}},
		{"inversion far back", []TimedCommand{timed(0, 10, 12), timed(1, 11, 20), timed(2, 13, 30), timed(3, 1, 9)}, 1, []uint64{3}},
		{"several late commands", []TimedCommand{timed(0, 100, 100), timed(1, 1, 1), timed(2, 2, 2), timed(3, 200, 200)}, 2, []uint64{1, 2}},
		{"blocker is the maximum min so far", []TimedCommand{timed(0, 50, 60), timed(1, 10, 70), timed(2, 20, 40)}, 1, []uint64{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := CheckOrdering(tt.executed, 10)
			if rep.Violations != tt.violations || rep.Commands != int64(len(tt.executed)) {
				t.Fatalf("violations %d over %d commands, want %d", rep.Violations, rep.Commands, tt.violations)
			}
			var late []uint64
			for _, ex := range rep.Examples {
				late = append(late, ex.Command.Seq)
				if ex.Kind != KindOrdering || ex.Entry != int64(ex.Command.Seq) || !strings.Contains(ex.Detail, "executed after") {
					t.Fatalf("bad example %+v", ex)
				}
			}
			if !slices.Equal(late, tt.late) {
				t.Fatalf("reported %v, want %v", late, tt.late)
			}
		})
	}
}

// violatingByDefinition applies property 3 literally to every pair: a
// violates if some b executed before it has max ts(a) < min ts(b).
func violatingByDefinition(executed []TimedCommand) []int {
	var out []int
	for ai, a := range executed {
		for _, b := range executed[:ai] {
			if a.MaxTsUs < b.MinTsUs {
				out = append(out, ai)
				break
			}
		}
	}
	return out
}

func TestCheckOrderingMatchesDefinition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 40).Draw(t, "n")
		executed := make([]TimedCommand, n)
		for i := range executed {
			lo := rapid.Uint64Range(0, 50).Draw(t, "min")
			hi := lo + rapid.Uint64Range(0, 10).Draw(t, "spread")
			executed[i] = timed(uint64(i), lo, hi)
		}
		want := violatingByDefinition(executed)
		rep := CheckOrdering(executed, n+1)
		if rep.Violations != int64(len(want)) {
			t.Fatalf("sweep counts %d violations, definition %d (%v)", rep.Violations, len(want), want)
		}
		for i, ex := range rep.Examples {
			if ex.Entry != int64(want[i]) {
				t.Fatalf("sweep reports entry %d, definition %d", ex.Entry, want[i])
			}
		}
	})
}

func TestTimestampBounds(t *testing.T) {
	rec := &runlog.ClientRecord{ReplicaTs: []runlog.ReplicaTimestamp{{Replica: 0, TsUs: 50}, {Replica: 1, TsUs: 10}, {Replica: 2, TsUs: 90}, {Replica: 3, TsUs: 40}, {Replica: 1, TsUs: 70}}}
	tests := []struct {
		name             string
		correct          func(uint32) bool
		wantMin, wantMax uint64
		wantOK           bool
	}{
		{"all correct", nil, 10, 90, true},
		{"replica 2 byzantine", func(r uint32) bool { return r != 2 }, 10, 70, true},
		{"retries of one replica count", func(r uint32) bool { return r == 1 }, 10, 70, true},
		{"none correct", func(uint32) bool { return false }, 0, 0, false},
	}
	for _, tt := range tests {
		lo, hi, ok := TimestampBounds(rec, tt.correct)
		if lo != tt.wantMin || hi != tt.wantMax || ok != tt.wantOK {
			t.Fatalf("%s: got %d..%d %v", tt.name, lo, hi, ok)
		}
	}
	if _, _, ok := TimestampBounds(&runlog.ClientRecord{}, nil); ok {
		t.Fatal("bounds of a record without timestamps")
	}
}
