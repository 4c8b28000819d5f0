package charts

import (
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// legendGap separates the data area from a legend drawn beside it.
const legendGap = 12

// Save writes p in format ("png" or "svg") to path with its legend to the
// right of the data, where it cannot hide a line: the charts of pompe
// report and of the experiments share it.
func Save(p *plot.Plot, path, format string) (err error) {
	legend := p.Legend
	p.Legend = plot.NewLegend()
	defer func() { p.Legend = legend }()

	width := chartWidth
	var legendWidth vg.Length
	measure, err := draw.NewFormattedCanvas(chartWidth, chartHeight, format)
	if err != nil {
		return err
	}
	if r := legend.Rectangle(draw.New(measure)); r.Size().X > 0 {
		legendWidth = r.Size().X + 2*legendGap
		width += legendWidth
	}
	c, err := draw.NewFormattedCanvas(width, chartHeight, format)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
	if legendWidth > 0 {
		legend.Top, legend.Left = true, true
		legend.Draw(draw.Crop(dc, width-legendWidth+legendGap, 0, 0, -legendGap))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = c.WriteTo(f)
	return err
}

// padLog widens a log axis to a factor beyond the data on both sides, so
// no line runs along the frame.
func padLog(a *plot.Axis, lo, hi, factor float64) {
	if lo <= 0 || hi <= 0 || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return
	}
	a.Min, a.Max = lo/factor, hi*factor
}
