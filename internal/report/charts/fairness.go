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
// against Δ, one line per run; FairnessOutOfOrder the fraction of pairs
// out of order on a log scale, where 1e-5 and 1e-3 look different.
const (
	Fairness           = "fairness"
	FairnessOutOfOrder = "fairness_out_of_order"
)

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
	lowest, deltas, err := fairnessLines(rep, p, func(f float64) (float64, bool) { return f, true })
	if err != nil {
		return nil, err
	}
	p.X.Tick.Marker = deltaTicks(deltas)
	p.X.Min, p.X.Max = -0.25, math.Max(float64(len(deltas))-0.75, 0.25)
	// The interesting range is near 1; a fraction cannot exceed 1, so
	// neither does the axis.
	p.Y.Min, p.Y.Max = math.Max(0, lowest-math.Max(0.002, (1-lowest)/4)), 1
	p.Y.Tick.Marker = plainTicks{}
	return p, nil
}

// fairnessOutOfOrderChart draws 1 - fraction on a log axis; points with
// every pair in order have no place on it and are left out.
func fairnessOutOfOrderChart(rep *report.Report) (*plot.Plot, error) {
	p := newPlot("Fairness: fraction of pairs sent more than Δ apart executed out of send order (log scale; all in order: no point)",
		"Δ between the two sends (ms)", "fraction out of send order")
	lo, hi := math.Inf(1), math.Inf(-1)
	_, deltas, err := fairnessLines(rep, p, func(f float64) (float64, bool) {
		out := 1 - f
		if out <= 0 {
			return 0, false
		}
		lo, hi = min(lo, out), max(hi, out)
		return out, true
	})
	if err != nil {
		return nil, err
	}
	p.X.Tick.Marker = deltaTicks(deltas)
	p.X.Min, p.X.Max = -0.25, math.Max(float64(len(deltas))-0.75, 0.25)
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, shortLogTicks{}
	if math.IsInf(lo, 0) {
		lo, hi = 1e-6, 1e-1
	}
	padLog(&p.Y, lo, hi, 3)
	return p, nil
}

// fairnessLines adds one line per run of y(fraction) at each Δ (points
// for which y says no are left out) and returns the lowest fraction and
// the Δ values in the order of the x axis.
func fairnessLines(rep *report.Report, p *plot.Plot, y func(float64) (float64, bool)) (float64, []float64, error) {
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
			x := float64(deltaIndex(&deltas, pt.DeltaMs))
			if v, ok := y(*pt.Fraction); ok {
				pts = append(pts, plotter.XY{X: x, Y: v})
				lowest = min(lowest, *pt.Fraction)
			}
		}
		if len(pts) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return 0, nil, err
		}
		style(line, i, false)
		points.GlyphStyle.Color, points.GlyphStyle.Radius = runColor(i), vg.Points(3)
		points.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(line, points)
		if i < maxLegendRuns {
			p.Legend.Add(fmt.Sprintf("%d %s", i+1, rep.FairnessLabel(r)), line, points)
		}
	}
	return lowest, deltas, nil
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

// shortLogTicks are log ticks labelled 1e-05 rather than 9.999...e-06.
type shortLogTicks struct{}

func (shortLogTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', 3, 64)
		}
	}
	return ticks
}
