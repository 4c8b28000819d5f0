package charts

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/report"
)

// Chart names, without extension; each is written as .png and .svg.
const (
	LatencyCDF        = "latency_cdf"
	Throughput        = "throughput"
	LatencyOverTime   = "latency_over_time"
	PompeVsHotStuff   = "pompe_vs_hotstuff"
	chartWidth        = 8 * vg.Inch
	chartHeight       = 5 * vg.Inch
	formatsPerChart   = 2
	maxLegendRuns     = 24
	minPositiveMillis = 0.001
)

var formats = [formatsPerChart]string{"png", "svg"}

// Write draws every chart of rep into dir (created if needed) and returns
// the files written.
func Write(rep *report.Report, dir string) ([]string, error) {
	if len(rep.Runs) == 0 {
		return nil, errors.New("charts: the report holds no run")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("charts: %w", err)
	}
	charts := []struct {
		name string
		draw func(*report.Report) (*plot.Plot, error)
	}{
		{LatencyCDF, latencyCDF},
		{Throughput, throughput},
		{LatencyOverTime, latencyOverTime},
	}
	if len(rep.Modes()) == 2 {
		charts = append(charts, struct {
			name string
			draw func(*report.Report) (*plot.Plot, error)
		}{PompeVsHotStuff, pompeVsHotStuff})
	}
	if hasFairness(rep) {
		charts = append(charts, struct {
			name string
			draw func(*report.Report) (*plot.Plot, error)
		}{Fairness, fairnessChart}, struct {
			name string
			draw func(*report.Report) (*plot.Plot, error)
		}{FairnessOutOfOrder, fairnessOutOfOrderChart})
	}
	if hasResources(rep) {
		charts = append(charts, []struct {
			name string
			draw func(*report.Report) (*plot.Plot, error)
		}{{ReplicaRSS, replicaRSS}, {ReplicaCPU, replicaCPU}}...)
	}
	var files []string
	for _, c := range charts {
		p, err := c.draw(rep)
		if err != nil {
			return files, fmt.Errorf("charts: %s: %w", c.name, err)
		}
		for _, ext := range formats {
			path := filepath.Join(dir, c.name+"."+ext)
			if err := Save(p, path, ext); err != nil {
				return files, fmt.Errorf("charts: %s: %w", path, err)
			}
			files = append(files, path)
		}
	}
	return files, nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	return p
}

// plainTicks are the default ticks labelled without trailing zeros
// (75000, not 75000.00).
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = plainLabel(ticks[i].Value)
		}
	}
	return ticks
}

// plainLabel writes v without trailing zeros and without the noise of
// binary fractions (0.98, not 0.9800000000000001).
func plainLabel(v float64) string {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 10, 64), 64)
	if err != nil {
		r = v
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// fractionTicks marks 0 to 1 by tenths, labelling every fifth.
type fractionTicks struct{}

func (fractionTicks) Ticks(_, _ float64) []plot.Tick {
	var ticks []plot.Tick
	for i := 0; i <= 10; i++ {
		t := plot.Tick{Value: float64(i) / 10}
		if i%5 == 0 {
			t.Label = fmt.Sprintf("%.1f", t.Value)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// style gives run i its colour; the phase or statistic its dashes.
func style(l *plotter.Line, run int, dashed bool) {
	l.LineStyle.Color = runColor(run)
	l.LineStyle.Width = vg.Points(1.5)
	if dashed {
		l.LineStyle.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	}
}

// palette holds ten colours told apart easily (the "tab10" palette).
var palette = []color.Color{
	rgb(0x1f77b4), rgb(0xff7f0e), rgb(0x2ca02c), rgb(0xd62728), rgb(0x9467bd),
	rgb(0x8c564b), rgb(0xe377c2), rgb(0x7f7f7f), rgb(0xbcbd22), rgb(0x17becf),
}

func rgb(v uint32) color.Color {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

func runColor(i int) color.Color { return palette[i%len(palette)] }

// addLine adds a line of pts (if it has any) with a legend entry.
func addLine(p *plot.Plot, pts plotter.XYs, legend string, run int, dashed bool) error {
	if len(pts) == 0 {
		return nil
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	style(l, run, dashed)
	p.Add(l)
	if run < maxLegendRuns {
		p.Legend.Add(legend, l)
	}
	return nil
}

func latencyCDF(rep *report.Report) (*plot.Plot, error) {
	p := newPlot("Latency CDF (from first send; solid: execution, dashed: ordering)", "latency (ms, log scale)", "fraction of commands")
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = 0, 1
	p.Y.Tick.Marker = fractionTicks{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, r := range rep.Runs {
		for _, ph := range []struct {
			phase report.Phase
			name  string
		}{{report.Execution, "execution"}, {report.Ordering, "ordering"}} {
			var pts plotter.XYs
			r.Latencies(ph.phase).CDF(func(v time.Duration, f float64) {
				ms := float64(v) / float64(time.Millisecond)
				pts = append(pts, plotter.XY{X: max(ms, minPositiveMillis), Y: f})
			})
			if err := addLine(p, pts, r.Label+" "+ph.name, i, ph.phase == report.Ordering); err != nil {
				return nil, err
			}
			if len(pts) > 0 {
				lo, hi = min(lo, pts[0].X), max(hi, pts[len(pts)-1].X)
			}
		}
	}
	if math.IsInf(lo, 0) {
		// A log axis needs a positive range even with nothing to draw.
		lo, hi = 1, 100
	}
	padLog(&p.X, lo, hi, 1.5)
	return p, nil
}

// minPerSecond is where the throughput chart's log axis draws a rate of 0
// (a second in which nothing finished).
const minPerSecond = 1

// throughput draws every run's rates on a log axis: runs of batch 1 and of
// batch 1000 differ by two orders of magnitude, and on a linear axis the
// small ones lie flat on 0. A bucket in which nothing finished is drawn at
// minPerSecond, the bottom of the axis.
func throughput(rep *report.Report) (*plot.Plot, error) {
	p := newPlot("Throughput per second of the run (solid: executed, dashed: ordered; log scale, 0 drawn at 1)",
		"time since the start of the run (s)", "commands per second (log scale)")
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	lo, hi := math.Inf(1), math.Inf(-1)
	rate := func(v float64) float64 {
		v = max(v, minPerSecond)
		lo, hi = min(lo, v), max(hi, v)
		return v
	}
	defer func() {
		if math.IsInf(lo, 0) {
			lo, hi = minPerSecond, 10*minPerSecond
		}
		padLog(&p.Y, lo, hi, 1.5)
	}()
	for i, r := range rep.Runs {
		var exec, order plotter.XYs
		for _, b := range r.Timeline.Buckets {
			mid := b.StartS + b.LengthS/2
			exec = append(exec, plotter.XY{X: mid, Y: rate(b.ExecutedPerS)})
			if r.Mode == config.ModePompe {
				order = append(order, plotter.XY{X: mid, Y: rate(b.OrderedPerS)})
			}
		}
		if err := addLine(p, exec, r.Label+" executed", i, false); err != nil {
			return nil, err
		}
		if err := addLine(p, order, r.Label+" ordered", i, true); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func latencyOverTime(rep *report.Report) (*plot.Plot, error) {
	p := newPlot("Execution latency over time (solid: p50, dashed: p99)", "time since the start of the run (s)", "latency (ms)")
	p.Y.Min = 0
	p.Y.Tick.Marker = plainTicks{}
	for i, r := range rep.Runs {
		var p50, p99 plotter.XYs
		for _, b := range r.Timeline.Buckets {
			if b.Executed == 0 {
				continue
			}
			mid := b.StartS + b.LengthS/2
			p50 = append(p50, plotter.XY{X: mid, Y: b.ExecP50Ms})
			p99 = append(p99, plotter.XY{X: mid, Y: b.ExecP99Ms})
		}
		if err := addLine(p, p50, r.Label+" p50", i, false); err != nil {
			return nil, err
		}
		if err := addLine(p, p99, r.Label+" p99", i, true); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// pompeVsHotStuff puts every run at (executed/s, p50 execution latency),
// joined per mode in order of batch size, with Pompe's ordering latency
// as a third series: the usual throughput-latency comparison.
func pompeVsHotStuff(rep *report.Report) (*plot.Plot, error) {
	p := newPlot("Pompe vs HotStuff: throughput and p50 latency from first send, one point per run",
		"executed commands per second (log scale)", "p50 latency (ms, log scale)")
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	series := []struct {
		mode    config.Mode
		legend  string
		latency func(*report.Run) float64
		dashed  bool
	}{
		{config.ModePompe, "Pompe, execution", func(r *report.Run) float64 { return r.ExecLatencyMs.P50 }, false},
		{config.ModePompe, "Pompe, ordering", func(r *report.Run) float64 { return r.OrderLatencyMs.P50 }, true},
		{config.ModeHotStuff, "HotStuff, execution", func(r *report.Run) float64 { return r.ExecLatencyMs.P50 }, false},
	}
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PlusGlyph{}, draw.CrossGlyph{}, draw.RingGlyph{}}
	for si, s := range series {
		runs := slices.DeleteFunc(slices.Clone(rep.Runs), func(r *report.Run) bool { return r.Mode != s.mode || r.Executed == 0 })
		curves := curvesByLoad(runs)
		for ci, curve := range curves {
			var pts plotter.XYs
			var labels []string
			for _, r := range curve {
				pts = append(pts, plotter.XY{X: max(r.ExecutedPerS, minPositiveMillis), Y: max(s.latency(r), minPositiveMillis)})
				labels = append(labels, batchLabel(r))
			}
			for _, pt := range pts {
				xlo, xhi, ylo, yhi = min(xlo, pt.X), max(xhi, pt.X), min(ylo, pt.Y), max(yhi, pt.Y)
			}
			line, points, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, err
			}
			c := modeColor(s.mode)
			line.LineStyle.Color, line.LineStyle.Width = c, vg.Points(1.5)
			if s.dashed {
				line.LineStyle.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			}
			points.GlyphStyle.Color, points.GlyphStyle.Radius = c, vg.Points(3)
			points.GlyphStyle.Shape = shapes[ci%len(shapes)]
			p.Add(line, points)
			legend := s.legend
			if len(curves) > 1 {
				legend += ", " + loadLabel(curve[0])
			}
			p.Legend.Add(legend, line, points)
			if si == 1 {
				continue // the execution series already names the batches
			}
			l, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: labels})
			if err != nil {
				return nil, err
			}
			l.Offset = vg.Point{X: vg.Points(4), Y: vg.Points(4)}
			p.Add(l)
		}
	}
	padLog(&p.X, xlo, xhi, 2)
	padLog(&p.Y, ylo, yhi, 2)
	return p, nil
}

// curvesByLoad splits one mode's runs into curves of equal load apart
// from the batch size (clients, in flight, payload, rate, replicas), each
// sorted by batch size: a line joins runs that differ only in their batch,
// never a 4-client run and a 64-client one.
func curvesByLoad(runs []*report.Run) [][]*report.Run {
	slices.SortStableFunc(runs, func(a, b *report.Run) int { return a.Batch - b.Batch })
	var keys []string
	byKey := map[string][]*report.Run{}
	for _, r := range runs {
		k := fmt.Sprintf("%d clients; %s", r.Clients, batchSetting.ReplaceAllString(r.Settings, ""))
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	out := make([][]*report.Run, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out
}

// batchSetting is the batch size within report.Run.Settings.
var batchSetting = regexp.MustCompile(`batch \d+, `)

// inflightSetting is the batches in flight per client within Settings.
var inflightSetting = regexp.MustCompile(`inflight (\d+)`)

// loadLabel names a curve's load for the legend.
func loadLabel(r *report.Run) string {
	if m := inflightSetting.FindStringSubmatch(r.Settings); m != nil {
		return fmt.Sprintf("%d clients x %s in flight", r.Clients, m[1])
	}
	return fmt.Sprintf("%d clients", r.Clients)
}

func batchLabel(r *report.Run) string {
	if r.Batch > 0 {
		return fmt.Sprintf("b=%d", r.Batch)
	}
	return filepath.Base(r.Dir)
}

func modeColor(m config.Mode) color.Color {
	if m == config.ModePompe {
		return palette[0]
	}
	return palette[1]
}
