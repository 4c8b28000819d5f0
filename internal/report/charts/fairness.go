package charts

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pompe-bft/pompe/internal/report"
)

// Fairness is the chart of the fraction of pairs executed in send order
// against Δ, one line per run.
const Fairness = "fairness"

// hasFairness reports whether any run of rep has a fraction to draw.
func hasFairness(rep *report.Report) bool {
	for _, r := range rep.Runs {
		if r.Fairness == nil {
			continue
		}
		for _, p := range r.Fairness.Points {
			if p.Fraction != nil {
				return true
			}
		}
	}
	return false
}

// fairnessChart draws one line per run over the Δ values, evenly spaced
// whatever their size (0, 1, 10, 100 ms would not fit a log axis).
func fairnessChart(rep *report.Report) (*plot.Plot, error) {
	p := newPlot("Fairness: pairs of commands of different clients sent more than Δ apart, fraction executed in send order",
		"Δ between the two sends (ms)", "fraction in send order")
	var deltas []float64
	lowest := 1.0
	for i, r := range rep.Runs {
		if r.Fairness == nil {
			continue
		}
		var pts plotter.XYs
		for _, pt := range r.Fairness.Points {
			if pt.Fraction == nil {
				continue
			}
			pts = append(pts, plotter.XY{X: float64(deltaIndex(&deltas, pt.DeltaMs)), Y: *pt.Fraction})
			lowest = min(lowest, *pt.Fraction)
		}
		if len(pts) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		style(line, i, false)
		points.GlyphStyle.Color, points.GlyphStyle.Radius = runColor(i), vg.Points(3)
		points.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(line, points)
		if i < maxLegendRuns {
			p.Legend.Add(fmt.Sprintf("%d %s", i+1, rep.FairnessLabel(r)), line, points)
		}
	}
	p.X.Tick.Marker = deltaTicks(deltas)
	p.X.Min, p.X.Max = -0.25, math.Max(float64(len(deltas))-0.75, 0.25)
	// The interesting range is near 1: start a tenth below the lowest
	// fraction, on a tenth.
	p.Y.Min, p.Y.Max = math.Max(0, math.Floor(lowest*10)/10-0.1), 1.005
	p.Y.Tick.Marker = plainTicks{}
	return p, nil
}

// deltaIndex is the position of delta among the Δ values seen so far,
// added at the end if new.
func deltaIndex(deltas *[]float64, delta float64) int {
	for i, d := range *deltas {
		if d == delta {
			return i
		}
	}
	*deltas = append(*deltas, delta)
	return len(*deltas) - 1
}

type deltaTicks []float64

func (d deltaTicks) Ticks(_, _ float64) []plot.Tick {
	ticks := make([]plot.Tick, len(d))
	for i, v := range d {
		ticks[i] = plot.Tick{Value: float64(i), Label: strconv.FormatFloat(v, 'f', -1, 64)}
	}
	return ticks
}
