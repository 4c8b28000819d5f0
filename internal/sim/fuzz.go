package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/pompe-bft/pompe/internal/byzantine"
)

// Fuzz is the behaviour of a mutation-fuzzed replica: it runs the correct
// replica code, and a byzantine.Mutator, seeded from the run's seed, rewrites
// what it sends (views, heights, timestamps shifted; digests, parents and
// certificates swapped for real ones seen earlier; lists truncated,
// duplicated, reordered; messages dropped, duplicated, delayed, replayed or
// sent to the wrong replica), re-signed with its own key.
const Fuzz Behavior = "fuzz"

// The shape of a fuzz run (WithFaults("fuzz")). Times are simulated.
const (
	// fuzzViewTimeoutUs is the base view timeout of a fuzz run: 20 times
	// the largest network delay, so a correct leader never times out.
	fuzzViewTimeoutUs = 100_000
	// FuzzLivenessViews is the liveness bound in view timeouts: once the
	// network is timely, every batch of a correct client executes within
	// this many base view timeouts, plus one client retry interval (a
	// Byzantine replica may drop the client's first request), of the later
	// of its submission and the end of the fault window.
	FuzzLivenessViews = 30
	fuzzFaultWindowUs = 2_000_000
	fuzzActiveUs      = 3_000_000 // clients keep submitting this long after the heal
)

// FuzzLivenessBoundUs is the liveness bound of a fuzz run, in simulated
// microseconds: FuzzLivenessViews base view timeouts plus a client retry.
const FuzzLivenessBoundUs = FuzzLivenessViews*fuzzViewTimeoutUs + clientRetryUs

// FuzzMinDurationUs is the shortest fuzz run: the fault window, a second
// of submissions after it, and the liveness bound to settle.
const FuzzMinDurationUs = fuzzFaultWindowUs + 1_000_000 + FuzzLivenessBoundUs

// withFuzz makes o a fuzz run: f mutating replicas (the highest ids, so
// they lead regularly), one Byzantine client, a mutation rate and a fault
// window (lossy or not, with a crash-restart or not) chosen by the seed,
// and the liveness bound. Fields already set
// (a rate, an exclusion list, a client count, a duration) are kept.
func (o *Options) withFuzz() {
	n := o.Nodes
	if n == 0 {
		n = 4
	}
	o.Byzantine = nil
	for range (n - 1) / 3 {
		o.Byzantine = append(o.Byzantine, Fuzz)
	}
	r := rand.New(rand.NewPCG(uint64(o.Seed), 0x66757a7a))
	if o.FuzzRate == 0 {
		// From rare lies to one message in two.
		o.FuzzRate = []float64{0.02, 0.05, 0.1, 0.2, 0.35, 0.5}[r.IntN(6)]
	}
	if o.ByzantineClients == 0 {
		o.ByzantineClients = 1
	}
	if r.IntN(2) == 0 {
		o.DropRate, o.DupRate = 0.05, 0.05 // a lossy fault window before the heal
	}
	if r.IntN(3) == 0 {
		o.Crashes = 1 // a correct replica restarts in the window, losing what it held in memory
	}
	o.ViewTimeoutUs = fuzzViewTimeoutUs
	o.LivenessBoundUs = FuzzLivenessBoundUs
	if o.FaultWindowUs == 0 {
		o.FaultWindowUs = fuzzFaultWindowUs
	}
	if o.SettleUs == 0 {
		o.SettleUs = o.LivenessBoundUs
	}
	if o.DurationUs == 0 {
		o.DurationUs = o.FaultWindowUs + fuzzActiveUs + o.SettleUs
	}
}

// mutate gives a fuzz replica its Mutator, with its own random stream so
// that the exclusion list changes nothing else in the run.
func (c *cluster) mutate(n *simNode) error {
	var enabled []byzantine.Mutation
	for _, k := range byzantine.Mutations {
		if !slices.Contains(c.opts.FuzzExclude, k) {
			enabled = append(enabled, k)
		}
	}
	rate := c.opts.FuzzRate
	if len(enabled) == 0 {
		rate = 0
		enabled = byzantine.Mutations
	}
	var trace func(string)
	if c.opts.Trace != nil {
		trace = func(line string) { c.opts.Trace(fmt.Sprintf("t=%dus replica %d: %s", c.s.now, n.id, line)) }
	}
	m, err := byzantine.NewMutator(byzantine.MutatorConfig{
		Trace: trace,
		Self:  n.id, Key: n.key, Committee: c.committee, Rate: rate, Enabled: enabled,
		Rand:   rand.New(rand.NewPCG(uint64(c.opts.Seed), 0x6d7574<<8|uint64(n.id))),
		Leader: func(view uint64) uint32 { return n.r.Core().Leader(view) },
	})
	if err != nil {
		return err
	}
	n.mut = m
	return nil
}
