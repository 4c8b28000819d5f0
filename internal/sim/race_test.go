//go:build race

package sim

// The race detector slows the single-threaded simulator about tenfold and
// finds nothing in it; keep the seed sweep affordable under -race.
const seedsPerCase = 12
