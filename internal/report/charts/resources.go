package charts

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/pompe-bft/pompe/internal/report"
)

// Chart names of the replicas' resource use over time, drawn for runs
// that recorded it.
const (
	ReplicaRSS = "replica_rss"
	ReplicaCPU = "replica_cpu"
)

func hasResources(rep *report.Report) bool {
	for _, r := range rep.Runs {
		if r.Resources != nil && len(r.Resources.Replicas) > 0 {
			return true
		}
	}
	return false
}

func replicaRSS(rep *report.Report) (*plot.Plot, error) {
	return replicaSeries(rep, "Replica resident memory over time", "RSS (MiB)",
		func(s report.ResourceSample) float64 { return s.RSSMiB })
}

func replicaCPU(rep *report.Report) (*plot.Plot, error) {
	return replicaSeries(rep, "Replica CPU over time", "CPU (cores)",
		func(s report.ResourceSample) float64 { return s.CPUCores })
}

// replicaSeries draws one line per replica of every run with resources,
// each in its own colour, every other run dashed.
func replicaSeries(rep *report.Report, title, y string, value func(report.ResourceSample) float64) (*plot.Plot, error) {
	p := newPlot(title, "time since the start of the measured window (s)", y)
	p.Y.Min = 0
	p.Y.Tick.Marker = plainTicks{}
	line := 0
	for i, r := range rep.Runs {
		if r.Resources == nil {
			continue
		}
		for _, rs := range r.Resources.Replicas {
			pts := make(plotter.XYs, 0, len(rs.Samples))
			for _, s := range rs.Samples {
				pts = append(pts, plotter.XY{X: s.TS, Y: value(s)})
			}
			legend := fmt.Sprintf("replica %d", rs.Replica)
			if len(rep.Runs) > 1 {
				legend = fmt.Sprintf("%d %s, %s", i+1, r.Label, legend)
			}
			if err := addLine(p, pts, legend, line, i%2 == 1); err != nil {
				return nil, err
			}
			line++
		}
	}
	return p, nil
}
