package main

import (
	"cmp"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pompe-bft/pompe/internal/report/charts"
)

const (
	// maxSeries bounds the lines of one chart; more would be unreadable.
	maxSeries = 16
)

// chartSpec says what to draw: y against x, one line per distinct value of
// the series fields, points joined in the order of the order field.
type chartSpec struct {
	x, y, order string
	series      []string
	// pointLabel, if set, names the field written next to each point.
	pointLabel     string
	title          string
	xLabel, yLabel string
	xLog, yLog     bool
	// xAtData puts the x ticks at the data's x values (n = 4, 7, 10, 16)
	// and does not stretch the x axis to 0.
	xAtData bool
}

// line is one series' points and its legend.
type line struct {
	label string
	pts   []point
}

type point struct {
	order, x, y float64
	label       string
}

// seriesLines groups the runs into lines. A run lacking x or y (or a non
// positive value on a log axis) adds no point; skipped counts them.
func seriesLines(runs []summary, spec chartSpec) (lines []line, skipped int) {
	index := map[string]int{}
	for _, r := range runs {
		x, xok := r.number(spec.x)
		y, yok := r.number(spec.y)
		if !xok || !yok || (spec.xLog && x <= 0) || (spec.yLog && y <= 0) {
			skipped++
			continue
		}
		ord := x
		if spec.order != "" {
			if o, ok := r.number(spec.order); ok {
				ord = o
			}
		}
		label := seriesLabel(r, spec.series)
		at, seen := index[label]
		if !seen {
			at = len(lines)
			index[label] = at
			lines = append(lines, line{label: label})
		}
		var text string
		if spec.pointLabel != "" {
			text = r.text(spec.pointLabel)
		}
		lines[at].pts = append(lines[at].pts, point{order: ord, x: x, y: y, label: text})
	}
	for i := range lines {
		slices.SortStableFunc(lines[i].pts, func(a, b point) int { return cmp.Compare(a.order, b.order) })
	}
	return lines, skipped
}

// seriesLabel names a line: the mode bare, other fields as name=value.
func seriesLabel(r summary, fields []string) string {
	parts := make([]string, 0, len(fields))
	for _, f := range fields {
		v := r.text(f)
		if f == "mode" {
			parts = append(parts, v)
		} else {
			parts = append(parts, shortName(f)+"="+v)
		}
	}
	if len(parts) == 0 {
		return "runs"
	}
	return strings.Join(parts, " ")
}

func shortName(field string) string {
	if field == "nodes" {
		return "n"
	}
	return field
}

// drawChart writes name.png and name.svg into dir. It returns false (and
// writes nothing) when no run holds both fields.
func drawChart(runs []summary, spec chartSpec, dir, name string) (bool, error) {
	lines, _ := seriesLines(runs, spec)
	if len(lines) == 0 {
		return false, nil
	}
	if len(lines) > maxSeries {
		return false, fmt.Errorf("%d series, at most %d fit one chart", len(lines), maxSeries)
	}
	p := plot.New()
	p.Title.Text = spec.title
	p.X.Label.Text = spec.xLabel
	p.Y.Label.Text = spec.yLabel
	p.Add(plotter.NewGrid())
	setScale(&p.X, spec.xLog)
	setScale(&p.Y, spec.yLog)
	for i, l := range lines {
		xys := make(plotter.XYs, len(l.pts))
		for k, pt := range l.pts {
			xys[k] = plotter.XY{X: pt.x, Y: pt.y}
		}
		ln, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return false, err
		}
		c := lineColor(l.label, i)
		ln.LineStyle.Color, ln.LineStyle.Width = c, vg.Points(1.5)
		pts.Color, pts.Shape, pts.Radius = c, draw.CircleGlyph{}, vg.Points(3)
		p.Add(ln, pts)
		p.Legend.Add(l.label, ln, pts)
		if spec.pointLabel != "" {
			if err := addPointLabels(p, l, c); err != nil {
				return false, err
			}
		}
	}
	if spec.xAtData {
		p.X.Tick.Marker = dataTicks(lines)
		padAround(&p.X, spec.xLog)
	} else {
		pad(&p.X, spec.xLog)
	}
	pad(&p.Y, spec.yLog)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	for _, ext := range []string{"png", "svg"} {
		if err := charts.Save(p, filepath.Join(dir, name+"."+ext), ext); err != nil {
			return false, err
		}
	}
	return true, nil
}

func setScale(a *plot.Axis, log bool) {
	if log {
		a.Scale = plot.LogScale{}
		a.Tick.Marker = logTicks{}
	} else {
		a.Tick.Marker = plainTicks{}
	}
}

// plainTicks are the default ticks labelled without trailing zeros.
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = formatNumber(ticks[i].Value)
		}
	}
	return ticks
}

// palette: the "tab10" colours, easy to tell apart.
var palette = []color.Color{
	rgb(0x1f77b4), rgb(0xff7f0e), rgb(0x2ca02c), rgb(0xd62728), rgb(0x9467bd),
	rgb(0x8c564b), rgb(0xe377c2), rgb(0x7f7f7f), rgb(0xbcbd22), rgb(0x17becf),
}

func rgb(v uint32) color.Color {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// addPointLabels writes each point's label just right of and above it.
func addPointLabels(p *plot.Plot, l line, c color.Color) error {
	xyl := plotter.XYLabels{XYs: make(plotter.XYs, len(l.pts)), Labels: make([]string, len(l.pts))}
	for k, pt := range l.pts {
		xyl.XYs[k] = plotter.XY{X: pt.x, Y: pt.y}
		xyl.Labels[k] = pt.label
	}
	labels, err := plotter.NewLabels(xyl)
	if err != nil {
		return err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].Color = c
		labels.TextStyle[i].XAlign = draw.XLeft
		labels.TextStyle[i].YAlign = draw.YBottom
	}
	labels.Offset = vg.Point{X: vg.Points(4), Y: vg.Points(2)}
	p.Add(labels)
	return nil
}

// lineColor keeps a mode's colour the same in every chart when lines are
// the modes alone: Pompe blue, HotStuff orange.
func lineColor(label string, index int) color.Color {
	switch label {
	case "pompe":
		return palette[0]
	case "hotstuff":
		return palette[1]
	}
	return palette[index%len(palette)]
}

// dataTicks marks every distinct x value of the lines.
func dataTicks(lines []line) plot.ConstantTicks {
	var xs []float64
	for _, l := range lines {
		for _, pt := range l.pts {
			xs = append(xs, pt.x)
		}
	}
	slices.Sort(xs)
	xs = slices.Compact(xs)
	ticks := make(plot.ConstantTicks, len(xs))
	for i, x := range xs {
		ticks[i] = plot.Tick{Value: x, Label: formatNumber(x)}
	}
	return ticks
}
