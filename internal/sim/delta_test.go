package sim

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/replica"
)

// TestSlowClientNotStarved keeps the simulation that once starved a client
// whose batches kept missing their slots (seed 8033, with every fault; the
// fault-free and network-only runs of that seed go along without -race):
// delta must widen on the evidence those retries carry (docs/protocol.md section 3.1)
// until the client's batches fit, so every batch of every correct client
// executes.
func TestSlowClientNotStarved(t *testing.T) {
	t.Parallel()
	for _, faults := range slowClientFaults {
		o := Options{Seed: 8033, Mode: replica.ModePompe}
		if err := o.WithFaults(faults); err != nil {
			t.Fatal(err)
		}
		if r := Run(o); !r.OK() || r.Accepted == 0 {
			t.Errorf("seed 8033, faults %s: accepted %d of %d, violations %v", faults, r.Accepted, r.Submitted, r.Violations)
		}
	}
}
