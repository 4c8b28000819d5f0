package main

import (
	"math"

	"gonum.org/v1/plot"
)

const (
	// logPadFactor and linearPadFraction keep points off the frame.
	logPadFactor      = 1.4
	linearPadFraction = 0.06
	// maxLogTicks bounds the labelled ticks of a log axis.
	maxLogTicks = 12
)

// pad widens an axis around its data: by a factor on a log axis, by a
// fraction of the range on a linear one (which also starts at 0 when the
// data are positive, so bars of throughput are read from zero).
func pad(a *plot.Axis, log bool) {
	lo, hi := a.Min, a.Max
	if log {
		if lo > 0 && hi > 0 {
			a.Min, a.Max = lo/logPadFactor, hi*logPadFactor
		}
		return
	}
	span := hi - lo
	if span == 0 {
		span = math.Max(math.Abs(hi), 1)
	}
	a.Min, a.Max = min(lo-span*linearPadFraction, 0), hi+span*linearPadFraction
	if lo >= 0 {
		a.Min = 0
	}
}

// logTicks labels 1, 2 and 5 times the powers of ten in range (every power
// alone when that gives too many), so a range inside one decade, such as
// 17 to 83 ms, still gets labels.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	var ticks []plot.Tick
	for _, steps := range [][]float64{{1, 2, 5}, {1}} {
		ticks = ticks[:0]
		for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
			for _, s := range steps {
				v := s * math.Pow(10, e)
				if v >= lo && v <= hi {
					ticks = append(ticks, plot.Tick{Value: v, Label: formatNumber(v)})
				}
			}
		}
		if len(ticks) <= maxLogTicks {
			break
		}
	}
	return ticks
}

// padAround widens an axis around its data without stretching it to 0.
func padAround(a *plot.Axis, log bool) {
	if log {
		pad(a, true)
		return
	}
	span := a.Max - a.Min
	if span == 0 {
		span = math.Max(math.Abs(a.Max), 1)
	}
	a.Min, a.Max = a.Min-span*linearPadFraction, a.Max+span*linearPadFraction
}
