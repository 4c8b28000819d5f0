//go:build !race

package sim

import "time"

const seedsPerCase = 40

// The fuzz budget: about ten seeds per configuration.
const fuzzBudgetDefault = 25 * time.Second
