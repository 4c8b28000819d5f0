//go:build !race

package sim

import "time"

const seedsPerCase = 40

// The fuzz budget: about ten seeds per configuration.
const fuzzBudgetDefault = 25 * time.Second

// slowClientFaults are the fault mixes TestSlowClientNotStarved runs seed
// 8033 under.
var slowClientFaults = []string{"all", "net", "none"}
