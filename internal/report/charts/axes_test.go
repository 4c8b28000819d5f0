package charts

import (
	"testing"

	"gonum.org/v1/plot"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/report"
)

// The CPU chart draws rates measured over the load window only: not the
// first sample (no interval before it, it reads 0), not one taken after
// the window (it measures the shutdown).
func TestRateSamplesStayInTheLoadWindow(t *testing.T) {
	for _, tc := range []struct {
		i       int
		ts, win float64
		want    bool
	}{
		{0, 0, 30, false},
		{1, 0, 30, false},
		{1, 1.007, 30, true},
		{30, 30.011, 30, true},
		{31, 30.276, 30, false},
		{31, 30.276, 0, true}, // window unknown (a soak): only the first sample goes
	} {
		if got := inLoadWindow(tc.i, report.ResourceSample{TS: tc.ts}, tc.win); got != tc.want {
			t.Errorf("sample %d at %.3f s of a %.0f s window: drawn %v, want %v", tc.i, tc.ts, tc.win, got, tc.want)
		}
	}
}

// A fraction cannot exceed 1: neither does the fairness axis.
func TestFairnessAxisEndsAtOne(t *testing.T) {
	for _, reversed := range []bool{false, true} {
		rep, err := report.Load([]string{fairRun(t, reversed)}, report.Options{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := fairnessChart(rep)
		if err != nil {
			t.Fatal(err)
		}
		if p.Y.Max != 1 || p.Y.Min >= 1 {
			t.Errorf("reversed %v: fairness axis %g..%g, want it to end at 1", reversed, p.Y.Min, p.Y.Max)
		}
	}
}

// Runs of batch 1 and of batch 100 share the throughput chart on a log
// axis that spans both, so the small one is not flat at 0.
func TestThroughputAxisIsLogAndSpansEveryRun(t *testing.T) {
	var dirs []string
	for _, batch := range []int{1, 100} {
		dirs = append(dirs, syntheticRun(t, config.ModePompe, batch))
	}
	rep, err := report.Load(dirs, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := throughput(rep)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Y.Scale.(plot.LogScale); !ok {
		t.Fatalf("throughput axis scale %T, want log", p.Y.Scale)
	}
	lo, hi := rep.Runs[0].Timeline.Buckets[0].ExecutedPerS, rep.Runs[1].Timeline.Buckets[0].ExecutedPerS
	if lo > hi {
		lo, hi = hi, lo
	}
	if !(p.Y.Min > 0 && p.Y.Min < lo && p.Y.Max > hi) {
		t.Errorf("axis %g..%g does not span the runs' rates %g..%g", p.Y.Min, p.Y.Max, lo, hi)
	}
}

func TestPlainLabel(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{{75000, "75000"}, {0.98 + 1e-16, "0.98"}, {0.9800000000000001, "0.98"}, {0.25, "0.25"}, {1234567, "1234567"}, {0, "0"}} {
		if got := plainLabel(tc.v); got != tc.want {
			t.Errorf("plainLabel(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
