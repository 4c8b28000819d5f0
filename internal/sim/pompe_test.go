package sim

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/replica"
)

func TestPompeNoFaults(t *testing.T) {
	r := Run(Options{Seed: 1, Mode: replica.ModePompe})
	t.Logf("%+v", r)
	if !r.OK() {
		t.Fatalf("violations: %v", r.Violations)
	}
	if r.Accepted == 0 {
		t.Fatal("nothing executed")
	}
}
