package sim

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

func TestExplore(t *testing.T) {
	f := os.Getenv("FAULTS")
	n, _ := strconv.Atoi(os.Getenv("SEEDS"))
	for s := int64(1); s <= int64(n); s++ {
		o := Options{Seed: s, DurationUs: 12_000_000}
		o.WithFaults(f)
		r := Run(o)
		fmt.Println(f, s, r.OK(), r.Committed, r.Accepted, r.Submitted, r.Violations)
	}
}
