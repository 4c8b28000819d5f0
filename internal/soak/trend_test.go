package soak

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// series builds n points one second apart from f(i).
func series(n int, f func(i int) float64) []Point {
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{TS: float64(i), Value: f(i)}
	}
	return pts
}

func TestTrend(t *testing.T) {
	tol := Tolerance{GrowthPct: 20, MinAbsolute: 1}
	tests := []struct {
		name                string
		pts                 []Point
		first, last, growth float64
		slopePerHour        float64
		growing, err        bool
	}{
		{"flat", series(9, func(int) float64 { return 50 }), 50, 50, 0, 0, false, false},
		{"linear growth", series(9, func(i int) float64 { return 10 + float64(i) }), 11, 17, 100 * 6.0 / 11, 3600, true, false},
		{"shrinking", series(9, func(i int) float64 { return 20 - float64(i) }), 19, 13, -100 * 6.0 / 19, -3600, false, false},
		{"small growth within tolerance", series(9, func(i int) float64 { return 100 + float64(i) }), 101, 107, 6.0 / 1.01, 3600, false, false},
		{"large relative growth of a tiny value", series(9, func(i int) float64 { return 0.1 + 0.01*float64(i) }), 0.11, 0.17, 100 * 0.06 / 0.11, 36, false, false},
		{"warm-up then flat", series(9, func(i int) float64 { return min(30+10*float64(i), 50) }), 40, 50, 25, 0, true, false},
		{"too few samples", series(3, func(int) float64 { return 1 }), 0, 0, 0, 0, false, true},
		{"no time spanned", []Point{{5, 1}, {5, 2}, {5, 3}, {5, 4}}, 0, 0, 0, 0, false, true},
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-6*max(1, math.Abs(b)) }
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Trend(tc.pts)
			if (err != nil) != tc.err {
				t.Fatalf("error %v, want error %v", err, tc.err)
			}
			if tc.err {
				return
			}
			if !near(s.FirstQuarterMean, tc.first) || !near(s.LastQuarterMean, tc.last) || !near(s.GrowthPct, tc.growth) {
				t.Errorf("quarters %g -> %g (%g%%), want %g -> %g (%g%%)", s.FirstQuarterMean, s.LastQuarterMean, s.GrowthPct, tc.first, tc.last, tc.growth)
			}
			if tc.name != "warm-up then flat" && !near(s.SlopePerHour, tc.slopePerHour) {
				t.Errorf("slope %g/h, want %g/h", s.SlopePerHour, tc.slopePerHour)
			}
			if got := s.Growing(tol); got != tc.growing {
				t.Errorf("growing %v, want %v (%+v)", got, tc.growing, s)
			}
		})
	}
}

// A constant series never grows, and adding a constant to a series does
// not change its slope.
func TestTrendProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(minTrendSamples, 200).Draw(t, "n")
		vals := rapid.SliceOfN(rapid.Float64Range(0, 1e6), n, n).Draw(t, "values")
		shift := rapid.Float64Range(0, 1e6).Draw(t, "shift")
		pts := series(n, func(i int) float64 { return vals[i] })
		shifted := series(n, func(i int) float64 { return vals[i] + shift })
		a, err := Trend(pts)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Trend(shifted)
		if math.Abs(a.SlopePerHour-b.SlopePerHour) > 1e-6*max(1, math.Abs(a.SlopePerHour)) {
			t.Fatalf("slope %g became %g when shifted by %g", a.SlopePerHour, b.SlopePerHour, shift)
		}
		c := vals[0]
		flat, _ := Trend(series(n, func(int) float64 { return c }))
		if flat.Growing(Tolerance{}) || flat.SlopePerHour != 0 {
			t.Fatalf("constant %g: %+v", c, flat)
		}
	})
}
