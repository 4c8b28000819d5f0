package sim

import (
	"testing"
)

func TestNoFaults(t *testing.T) {
	r := Run(Options{Seed: 1})
	t.Logf("%+v", r)
	if !r.OK() {
		t.Fatalf("violations: %v", r.Violations)
	}
	if r.Accepted == 0 {
		t.Fatal("no batch executed")
	}
}
