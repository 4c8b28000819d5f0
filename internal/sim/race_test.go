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
// seeds (after minSeeds): 17 cases, so about a minute in all. The long sweeps are
// `pompe sim --seeds K` runs (internal/sim/doc.go).
const sweepBudget = 4 * time.Second

// minSeeds is the fewest seeds a sweep case runs however busy the machine
// is: one under -race, where a seed costs about ten times its CPU.
const minSeeds = 1

// slotRefusedSeeds is how many seeds each TestByzantineLeaderSlotRefused
// behaviour runs (every seed makes its leader corrupt several proposals).
const slotRefusedSeeds = 1
