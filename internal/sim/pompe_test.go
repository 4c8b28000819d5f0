package sim

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/replica"
)

func TestPompeNoFaults(t *testing.T) {
	t.Parallel()
	r := Run(Options{Seed: 1, Mode: replica.ModePompe, DurationUs: smokeDurationUs, SettleUs: smokeSettleUs})
	t.Logf("%+v", r)
	if !r.OK() {
		t.Fatalf("violations: %v", r.Violations)
	}
	if r.Accepted == 0 {
		t.Fatal("nothing executed")
	}
}
