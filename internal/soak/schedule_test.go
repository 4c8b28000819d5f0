package soak

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/faults"
)

func TestCycleRepeatsTheScheduleAndRoundTrips(t *testing.T) {
	tests := []struct {
		spec             string
		cycle, duration  time.Duration
		wantFaults       int
		wantSecondCycleS float64
	}{
		{"mixed", time.Minute, 3 * time.Minute, 18, 60},
		{"crash", time.Minute, 150 * time.Second, 2, 75},               // two cycles spread over the run
		{"mixed", time.Minute, 25 * time.Second, 6, 0},                 // one cycle as long as the run
		{"mixed", 10 * time.Second, 24 * time.Hour, 252, 86400.0 / 42}, // bounded by faults.MaxFaults
	}
	for _, tc := range tests {
		s, err := Cycle(tc.spec, 4, tc.cycle, tc.duration)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		if len(s.Faults) != tc.wantFaults || s.End() >= tc.duration {
			t.Errorf("%s over %v: %d faults ending at %v", tc.spec, tc.duration, len(s.Faults), s.End())
		}
		if tc.wantSecondCycleS > 0 {
			one, _ := faults.Load(tc.spec, 4, min(tc.cycle, tc.duration))
			per := len(one.Faults)
			if got := (s.Faults[per].At - s.Faults[0].At).Seconds(); got < tc.wantSecondCycleS-0.01 || got > tc.wantSecondCycleS+0.01 {
				t.Errorf("%s: second cycle %g s after the first, want %g", tc.spec, got, tc.wantSecondCycleS)
			}
		}
		path := filepath.Join(t.TempDir(), "faults.toml")
		if err := writeSchedule(path, s); err != nil {
			t.Fatal(err)
		}
		back, err := faults.Load(path, 4, tc.duration)
		if err != nil {
			t.Fatalf("%s: reading back: %v\n%s", tc.spec, err, scheduleTOML(s))
		}
		if !reflect.DeepEqual(back, s) {
			t.Errorf("%s: read back %+v\nwrote %+v", tc.spec, back.Faults[:1], s.Faults[:1])
		}
	}
	for _, bad := range []struct {
		spec            string
		cycle, duration time.Duration
	}{{"nonsense", time.Minute, time.Hour}, {"mixed", 0, time.Hour}, {"mixed", time.Minute, 2 * time.Second}} {
		if _, err := Cycle(bad.spec, 4, bad.cycle, bad.duration); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
