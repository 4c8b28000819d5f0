package main

import (
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// legendGap separates the data area from the legend beside it.
const legendGap = 12

// save writes p in format ("png" or "svg") to path, with the legend to the
// right of the data where it cannot hide a line.
func save(p *plot.Plot, path, format string) (err error) {
	legend := p.Legend
	p.Legend = plot.NewLegend()
	defer func() { p.Legend = legend }()

	measure, err := draw.NewFormattedCanvas(chartWidth, chartHeight, format)
	if err != nil {
		return err
	}
	width := chartWidth
	var legendWidth vg.Length
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
