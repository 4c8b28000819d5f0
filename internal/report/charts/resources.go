package charts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/pompe-bft/pompe/internal/report"
)

// Chart names of the replicas' resource use over time. A report draws
// ReplicaRSS and ReplicaCPU for runs that recorded it; WriteReplicaSeries
// draws all four for one run.
const (
	ReplicaRSS        = "replica_rss"
	ReplicaCPU        = "replica_cpu"
	ReplicaGoroutines = "replica_goroutines"
	ReplicaDisk       = "replica_disk"
)

func hasResources(rep *report.Report) bool {
	for _, r := range rep.Runs {
		if r.Resources != nil && len(r.Resources.Resources) > 0 {
			return true
		}
	}
	return false
}

// seriesSet is the replica series of one run, named for the legend, with
// the length of its load window in seconds (0: unknown).
type seriesSet struct {
	label    string
	replicas []report.ReplicaSeries
	windowS  float64
}

func reportSeries(rep *report.Report) []seriesSet {
	var sets []seriesSet
	for i, r := range rep.Runs {
		if r.Resources == nil {
			continue
		}
		label := ""
		if len(rep.Runs) > 1 {
			label = fmt.Sprintf("%d %s, ", i+1, r.Label)
		}
		sets = append(sets, seriesSet{label: label, replicas: r.Resources.Resources, windowS: r.DurationS})
	}
	return sets
}

// resourceChart is one chart of a sample field over time. A rate (CPU)
// is measured over the interval before each sample: the first sample has
// none (it reads 0), and a sample taken after the load window measures
// the shutdown, not the load, so rate charts draw neither.
type resourceChart struct {
	name, title, y string
	value          func(report.ResourceSample) float64
	rate           bool
}

var resourceCharts = []resourceChart{
	{ReplicaRSS, "Replica resident memory over time", "RSS (MiB)", func(s report.ResourceSample) float64 { return s.RSSMiB }, false},
	{ReplicaCPU, "Replica CPU over time (over each second of the load window)", "CPU (cores)", func(s report.ResourceSample) float64 { return s.CPUCores }, true},
	{ReplicaGoroutines, "Replica goroutines over time", "goroutines", func(s report.ResourceSample) float64 { return float64(s.Goroutines) }, false},
	{ReplicaDisk, "Replica data directory on disk over time (solid: all, dashed: execution log)", "disk (MiB)",
		func(s report.ResourceSample) float64 { return s.DiskMiB }, false},
}

func replicaRSS(rep *report.Report) (*plot.Plot, error) {
	return replicaSeries(reportSeries(rep), resourceCharts[0])
}

func replicaCPU(rep *report.Report) (*plot.Plot, error) {
	return replicaSeries(reportSeries(rep), resourceCharts[1])
}

// replicaSeries draws one line per replica of every set, each in its own
// colour, every other set dashed (the disk chart dashes the execution
// log instead).
func replicaSeries(sets []seriesSet, c resourceChart) (*plot.Plot, error) {
	p := newPlot(c.title, "time since the start of the measured window (s)", c.y)
	p.Y.Min = 0
	p.Y.Tick.Marker = plainTicks{}
	line := 0
	for si, set := range sets {
		for _, rs := range set.replicas {
			pts := make(plotter.XYs, 0, len(rs.Samples))
			var logPts plotter.XYs
			for i, s := range rs.Samples {
				if c.rate && !inLoadWindow(i, s, set.windowS) {
					continue
				}
				pts = append(pts, plotter.XY{X: s.TS, Y: c.value(s)})
				if c.name == ReplicaDisk {
					logPts = append(logPts, plotter.XY{X: s.TS, Y: s.ExecLogMiB})
				}
			}
			legend := fmt.Sprintf("%sreplica %d", set.label, rs.Replica)
			if err := addLine(p, pts, legend, line, c.name != ReplicaDisk && si%2 == 1); err != nil {
				return nil, err
			}
			if err := addLine(p, logPts, legend+" execution log", line, true); err != nil {
				return nil, err
			}
			line++
		}
	}
	return p, nil
}

// loadWindowSlack tolerates a sample taken a little after the window's
// nominal end (the sampler's tick is not aligned with it).
const loadWindowSlack = 0.05

// inLoadWindow reports whether sample i of a rate series measures load:
// not the first sample (no interval before it), not one after the window.
func inLoadWindow(i int, s report.ResourceSample, windowS float64) bool {
	if i == 0 || s.TS <= 0 {
		return false
	}
	return windowS <= 0 || s.TS <= windowS+loadWindowSlack
}

// WriteReplicaSeries draws the replica series of one run (memory, CPU,
// goroutines, disk) into dir and returns the files written.
func WriteReplicaSeries(replicas []report.ReplicaSeries, dir string) ([]string, error) {
	if len(replicas) == 0 {
		return nil, errors.New("charts: no replica series")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("charts: %w", err)
	}
	var files []string
	for _, c := range resourceCharts {
		p, err := replicaSeries([]seriesSet{{replicas: replicas}}, c)
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
