//go:build race

package sim

import "time"

// The race detector slows the single-threaded simulator about tenfold and
// finds nothing in it; keep the seed sweep affordable under -race.
const seedsPerCase = 12

// The fuzz budget under -race: the seed of each configuration that always
// runs, and a few more.
const fuzzBudgetDefault = 10 * time.Second

// slowClientFaults are the fault mixes TestSlowClientNotStarved runs seed
// 8033 under.
var slowClientFaults = []string{"all"}

// sweepBudget is the time one TestSimulationSeeds case keeps starting new
// seeds after minSeeds. Zero: under -race each case runs its minSeeds seeds
// and no more. The simulator runs in
// one goroutine, so the race detector finds nothing in it that a seed or two
// would not show, and it multiplies a seed's CPU about 7.5 times; the seed
// sweeps that look for protocol bugs are the non-race runs of this test and
// `pompe sim --seeds K` campaigns.
const sweepBudget = 0

// sweepDurationUs and sweepSettleUs size one sweep seed as without -race:
// 8 s of simulated time, the last 3 s to settle. A shorter run (5 s, 2 s to
// settle) was cheaper but left one seed in ten of every build with a batch
// that a longer settle executes (180 seeds of the crash, network and all
// mixes: 17 such seeds at 0ccab66, 21 at 29d3b41), so the one seed per case
// that runs here passed or failed by the luck of the build.
const sweepDurationUs, sweepSettleUs = 8_000_000, 3_000_000

// minSeeds is the fewest seeds a sweep case runs however busy the machine
// is: one under -race, where a seed costs about ten times its CPU.
const minSeeds = 1

// slotRefusedSeeds is how many seeds each TestByzantineLeaderSlotRefused
// behaviour runs (every seed makes its leader corrupt several proposals).
const slotRefusedSeeds = 1
