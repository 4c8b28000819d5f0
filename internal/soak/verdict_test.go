package soak

import (
	"strings"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/local"
)

// replicaSeries samples one replica every 10 s for d: rss(t) MiB, 40 goroutines,
// a 70 MiB store.
func replicaSeries(d time.Duration, rss func(t float64) float64) []local.ReplicaResources {
	var s []local.ResourceSample
	for t := 0.0; t <= d.Seconds(); t += 10 {
		s = append(s, local.ResourceSample{TS: t, RSSMiB: rss(t), Goroutines: 40, DiskMiB: 70})
	}
	return []local.ReplicaResources{{Replica: 0, Samples: s}}
}

// warmingUp fills caches from 40 to 120 MiB over its first two minutes,
// then stays flat: a healthy replica.
func warmingUp(t float64) float64 { return 40 + 80*min(t/120, 1) }

// leaking grows 20 MiB per minute for ever.
func leaking(t float64) float64 { return 40 + t/3 }

func rssVerdict(t *testing.T, o Options, rss func(float64) float64) (MetricVerdict, bool, bool) {
	t.Helper()
	o.OutDir = "x"
	o, err := o.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	vs, judged, bounded := verdicts(o, replicaSeries(o.Duration, rss))
	return vs[0], judged, bounded
}

func TestVerdictLeavesOutTheWarmup(t *testing.T) {
	tests := []struct {
		name            string
		o               Options
		rss             func(float64) float64
		judged, bounded bool
	}{
		{"healthy 30 min soak", Options{Duration: 30 * time.Minute}, warmingUp, true, true},
		{"leaking 30 min soak", Options{Duration: 30 * time.Minute}, leaking, true, false},
		// Without a warm-up the cache filling reads as growth.
		{"healthy soak judged from its start", Options{Duration: 10 * time.Minute, Warmup: time.Nanosecond, MinJudged: time.Minute}, warmingUp, true, false},
		{"healthy soak at the shortest judged length", Options{Duration: 13*time.Minute + 20*time.Second}, warmingUp, true, true},
		{"8 min soak is too short", Options{Duration: 8 * time.Minute}, warmingUp, false, false},
		{"a leak in a soak too short is not judged either", Options{Duration: 8 * time.Minute}, leaking, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, judged, bounded := rssVerdict(t, tt.o, tt.rss)
			if judged != tt.judged || bounded != tt.bounded {
				t.Fatalf("judged %v bounded %v, want %v %v: %+v", judged, bounded, tt.judged, tt.bounded, v)
			}
			if !judged && (v.Growing || !strings.Contains(v.Skipped, "too short to judge") || !strings.Contains(v.Skipped, "13m20s")) {
				t.Fatalf("verdict of a short soak: %+v", v)
			}
			res := &Result{Judged: judged, Bounded: bounded, Consistent: true}
			if res.OK() != (bounded || !judged) {
				t.Fatalf("OK() = %v", res.OK())
			}
		})
	}
}

func TestJudgedWindowDefaults(t *testing.T) {
	for _, tc := range []struct {
		d, warmup time.Duration
		tooShort  bool
	}{
		{30 * time.Minute, 7*time.Minute + 30*time.Second, false},
		{8 * time.Minute, 2 * time.Minute, true},
		{13 * time.Minute, 3*time.Minute + 15*time.Second, true},
		{14 * time.Minute, 3*time.Minute + 30*time.Second, false},
	} {
		o, err := Options{OutDir: "x", Duration: tc.d}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if o.Warmup != tc.warmup || o.TooShort() != tc.tooShort {
			t.Errorf("%v: warm-up %v, too short %v; want %v, %v", tc.d, o.Warmup, o.TooShort(), tc.warmup, tc.tooShort)
		}
	}
}
