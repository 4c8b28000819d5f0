//go:build !race

package sim

import "time"

const seedsPerCase = 40

// The fuzz budget: about ten seeds per configuration.
const fuzzBudgetDefault = 25 * time.Second

// slowClientFaults are the fault mixes TestSlowClientNotStarved runs seed
// 8033 under.
var slowClientFaults = []string{"all", "net", "none"}

// sweepBudget is the time one TestSimulationSeeds case keeps starting new
// seeds (after minSeeds): 17 cases, so about 1.5 minutes in all. The long sweeps are
// `pompe sim --seeds K` runs (internal/sim/doc.go).
const sweepBudget = 5 * time.Second

// sweepDurationUs and sweepSettleUs size one sweep seed: 8 s of simulated
// time (faults in the first 4 s), 3 s of it to settle.
const sweepDurationUs, sweepSettleUs = 8_000_000, 3_000_000

// minSeeds is the fewest seeds a sweep case runs however busy the machine
// is.
const minSeeds = 2

// slotRefusedSeeds is how many seeds each TestByzantineLeaderSlotRefused
// behaviour runs (every seed makes its leader corrupt several proposals).
const slotRefusedSeeds = 2
