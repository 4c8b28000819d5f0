package soak

import (
	"fmt"
	"math"
)

// Point is one value of a series at a time in seconds.
type Point struct {
	TS    float64
	Value float64
}

// Stats describe how a series moved over a run.
type Stats struct {
	Samples          int     `json:"samples"`
	FirstQuarterMean float64 `json:"first_quarter_mean"`
	LastQuarterMean  float64 `json:"last_quarter_mean"`
	// GrowthPct is the last quarter's mean over the first's, in percent
	// above it (negative when it shrank).
	GrowthPct float64 `json:"growth_pct"`
	// SlopePerHour is the least-squares slope, in units per hour.
	SlopePerHour float64 `json:"slope_per_hour"`
}

// minTrendSamples is the fewest points a trend is computed from.
const minTrendSamples = 4

// Trend computes a series' stats. The first quarter is the points within
// the first quarter of the time the series spans, the last quarter those
// within its last quarter.
func Trend(pts []Point) (Stats, error) {
	s := Stats{Samples: len(pts)}
	if len(pts) < minTrendSamples {
		return s, fmt.Errorf("soak: %d samples, at least %d are needed", len(pts), minTrendSamples)
	}
	t0, t1 := pts[0].TS, pts[0].TS
	for _, p := range pts {
		t0, t1 = min(t0, p.TS), max(t1, p.TS)
	}
	span := t1 - t0
	if span <= 0 {
		return s, fmt.Errorf("soak: the samples span no time")
	}
	var firstSum, lastSum float64
	var firstN, lastN int
	for _, p := range pts {
		if p.TS <= t0+span/4 {
			firstSum += p.Value
			firstN++
		}
		if p.TS >= t1-span/4 {
			lastSum += p.Value
			lastN++
		}
	}
	s.FirstQuarterMean, s.LastQuarterMean = firstSum/float64(firstN), lastSum/float64(lastN)
	switch {
	case s.FirstQuarterMean > 0:
		s.GrowthPct = 100 * (s.LastQuarterMean - s.FirstQuarterMean) / s.FirstQuarterMean
	case s.LastQuarterMean > 0:
		s.GrowthPct = math.Inf(1)
	}
	s.SlopePerHour = slope(pts) * 3600
	return s, nil
}

// slope is the least-squares slope of value over time, per second.
func slope(pts []Point) float64 {
	n := float64(len(pts))
	var mt, mv float64
	for _, p := range pts {
		mt += p.TS
		mv += p.Value
	}
	mt, mv = mt/n, mv/n
	var cov, vart float64
	for _, p := range pts {
		cov += (p.TS - mt) * (p.Value - mv)
		vart += (p.TS - mt) * (p.TS - mt)
	}
	if vart == 0 {
		return 0
	}
	return cov / vart
}

// Tolerance says how much growth a bounded resource may show.
type Tolerance struct {
	// GrowthPct is the most the last quarter's mean may exceed the
	// first's, in percent.
	GrowthPct float64 `json:"growth_pct"`
	// MinAbsolute is a growth too small to matter whatever its percentage
	// (a few goroutines, a few MiB), in the metric's unit.
	MinAbsolute float64 `json:"min_absolute"`
}

// Growing reports growth beyond tol: the last quarter above the first by
// more than tol.GrowthPct and tol.MinAbsolute, and a rising slope.
func (s Stats) Growing(tol Tolerance) bool {
	return s.GrowthPct > tol.GrowthPct && s.LastQuarterMean-s.FirstQuarterMean > tol.MinAbsolute && s.SlopePerHour > 0
}
