//go:build race

package sim

import "time"

// The race detector slows the single-threaded simulator about tenfold and
// finds nothing in it; keep the seed sweep affordable under -race.
const seedsPerCase = 12

// The fuzz budget under -race: about two seeds per configuration.
const fuzzBudgetDefault = 20 * time.Second

// slowClientFaults are the fault mixes TestSlowClientNotStarved runs seed
// 8033 under.
var slowClientFaults = []string{"all"}

// sweepBudget is the time one TestSimulationSeeds case keeps starting new
// seeds (after minSeeds): 17 cases, so about 2 minutes in all. The long sweeps are
// `pompe sim --seeds K` runs (internal/sim/doc.go).
const sweepBudget = 6 * time.Second
