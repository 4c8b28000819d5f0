package sim

import (
	"fmt"
	"strings"

	"github.com/pompe-bft/pompe/internal/byzantine"
	"github.com/pompe-bft/pompe/internal/replica"
)

// Behavior is a Byzantine replica's misbehaviour: one of internal/byzantine's
// kinds.
type Behavior = byzantine.Kind

// The misbehaviours the simulator's fault mixes rotate through; every other
// kind of internal/byzantine can be named too.
const (
	Silent     = byzantine.Silent
	Equivocate = byzantine.Equivocate
	DoubleVote = byzantine.DoubleVote
	Garbage    = byzantine.Garbage

	// Pompe-specific behaviours.
	TSLie   = byzantine.TSLie
	Omit    = byzantine.Omit
	Reorder = byzantine.Reorder
	Invent  = byzantine.Invent
	Future  = byzantine.Future
)

// Behaviors lists the behaviours that "byz" rotates through in Pompe mode.
var Behaviors = []Behavior{Silent, Equivocate, DoubleVote, Garbage, TSLie, Omit, Reorder, Invent, Future,
	byzantine.FarCollect, byzantine.PoisonReply, byzantine.ProofFlood, byzantine.FetchAmplify}

// baselineBehaviors are the behaviours that mean something in baseline mode.
var baselineBehaviors = []Behavior{Silent, Equivocate, DoubleVote, Garbage}

// ParseBehavior checks a behaviour name.
func ParseBehavior(s string) (Behavior, error) {
	if s == string(Fuzz) {
		return Fuzz, nil
	}
	b, err := byzantine.Parse(s)
	if err != nil {
		return "", fmt.Errorf("sim: unknown Byzantine behaviour %q (known: %s)", s, joinBehaviors())
	}
	return b, nil
}

func joinBehaviors() string { return byzantine.Names() + ", " + string(Fuzz) }

// Options describe one simulated run. Times are simulated microseconds.
type Options struct {
	Seed      int64
	Nodes     int
	Clients   int
	Mode      replica.Mode
	BatchSize int // commands per client batch
	Inflight  int // batches each client keeps outstanding

	DurationUs    int64 // whole run
	FaultWindowUs int64 // faults happen in [0, FaultWindowUs); then the network heals
	SettleUs      int64 // clients stop submitting this long before the end

	MinDelayUs, MaxDelayUs int64   // one-way network delay
	DropRate               float64 // during the fault window
	DupRate                float64 // during the fault window
	Partitions             int     // partitions during the fault window
	Crashes                int     // crash-restart events during the fault window
	Byzantine              []Behavior

	ViewTimeoutUs int64

	// Mutation fuzzing (fuzz.go): the mutation rate of Fuzz replicas (0:
	// chosen by seed), classes they never use, Byzantine clients, and the
	// liveness bound every correct client's batch is held to after the
	// heal (0: no bound beyond executing by the end of the run).
	FuzzRate         float64
	FuzzExclude      []byzantine.Mutation
	ByzantineClients int
	LivenessBoundUs  int64
	// Trace, if set, hears one line per mutation (pompe sim --trace).
	Trace func(line string)
}

// Defaults fills unset options.
func (o *Options) Defaults() {
	if o.Nodes == 0 {
		o.Nodes = 4
	}
	if o.Clients == 0 {
		o.Clients = 2
	}
	if o.Mode == "" {
		o.Mode = replica.ModeBaseline
	}
	if o.BatchSize == 0 {
		o.BatchSize = 2
	}
	if o.Inflight == 0 {
		o.Inflight = 2
	}
	if o.DurationUs == 0 {
		o.DurationUs = 20_000_000
	}
	if o.FaultWindowUs == 0 {
		o.FaultWindowUs = o.DurationUs / 2
	}
	if o.SettleUs == 0 {
		o.SettleUs = 5_000_000
	}
	if o.MaxDelayUs == 0 {
		o.MinDelayUs, o.MaxDelayUs = 500, 5_000
	}
	if o.ViewTimeoutUs == 0 {
		o.ViewTimeoutUs = 300_000
	}
}

// WithFaults sets a standard mix of faults by name: "none", "net" (drops,
// duplicates, partitions), "crash", "byz" (f Byzantine replicas of rotating
// kinds) or "all".
func (o *Options) WithFaults(spec string) error {
	for _, part := range strings.Split(spec, ",") {
		switch strings.TrimSpace(part) {
		case "", "none":
		case "net":
			o.DropRate, o.DupRate, o.Partitions = 0.05, 0.05, 2
		case "crash":
			o.Crashes = 2
		case "byz":
			o.Byzantine = []Behavior{o.rotatingBehavior()}
		case "all":
			o.DropRate, o.DupRate, o.Partitions, o.Crashes = 0.05, 0.05, 2, 2
			o.Byzantine = []Behavior{o.rotatingBehavior()}
		case string(Fuzz):
			o.withFuzz()
		default:
			if b, err := ParseBehavior(strings.TrimSpace(part)); err == nil {
				o.Byzantine = append(o.Byzantine, b)
				continue
			}
			return fmt.Errorf("sim: unknown fault %q (none, net, crash, byz, all, fuzz, or a behaviour: %s)", part, joinBehaviors())
		}
	}
	return nil
}

// rotatingBehavior picks a Byzantine behaviour by seed, among those that
// matter in the run's mode.
func (o *Options) rotatingBehavior() Behavior {
	list := baselineBehaviors
	if o.Mode == replica.ModePompe {
		list = Behaviors
	}
	return list[uint64(o.Seed)%uint64(len(list))]
}
