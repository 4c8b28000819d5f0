package local

import (
	"time"

	"github.com/pompe-bft/pompe/internal/report"
)

// fairnessAt10ms measures the run's client records as `pompe report` does
// and returns the fraction at Δ = 10 ms, nil without pairs.
func fairnessAt10ms(runDir string) (*float64, error) {
	const delta = 10 * time.Millisecond
	f, err := report.LoadFairness(runDir, report.FairnessOptions{Deltas: []time.Duration{delta}})
	if err != nil {
		return nil, err
	}
	p, _ := f.At(delta)
	return p.Fraction, nil
}
