package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pompe-bft/pompe/internal/byzantine"
	"github.com/pompe-bft/pompe/internal/cliexit"
	"github.com/pompe-bft/pompe/internal/replica"
	"github.com/pompe-bft/pompe/internal/sim"
)

// maxSimSeeds bounds one invocation.
const maxSimSeeds = 1_000_000

type simFlags struct {
	seeds     int
	firstSeed int64
	nodes     int
	clients   int
	faults    string
	mode      string
	duration  time.Duration
	workers   int
	jsonOut   bool

	byzantine    string  // "fuzz": mutation fuzzing
	mutationRate float64 // 0: chosen by seed
	exclude      string  // mutation classes the fuzz replicas never use
	progress     time.Duration
	durationSet  bool
}

// simFailure is a failing seed as printed and in the JSON summary.
type simFailure struct {
	Seed       int64    `json:"seed"`
	Violations []string `json:"violations"`
	Replay     string   `json:"replay"`
}

// simSummary is the JSON line of `pompe sim --json`.
type simSummary struct {
	Seeds        int          `json:"seeds"`
	FirstSeed    int64        `json:"first_seed"`
	Violations   int          `json:"violations"` // failing seeds
	FailingSeeds []int64      `json:"failing_seeds"`
	SeedsPerS    float64      `json:"seeds_per_s"`
	Failures     []simFailure `json:"failures"`
	// Accepted batches, view changes (TCs summed over correct replicas)
	// and the mean batch latency over all seeds: what compares two fault
	// mixes' throughput on the same simulated network.
	AcceptedBatches int   `json:"accepted_batches"`
	ViewChanges     int   `json:"view_changes"`
	MeanLatencyUs   int64 `json:"mean_latency_us"`
}

func newSimCmd() *cobra.Command {
	var sf simFlags
	cmd := &cobra.Command{
		Use:   "sim --seeds K [flags]",
		Short: "Run the deterministic cluster simulator over many seeds",
		Long: `sim runs the deterministic simulator (replicas, clients and a faulty network in
one process, simulated time) for seeds first-seed .. first-seed+K-1 on
--workers goroutines; each seed's result depends only on the seed and the
flags. It prints every failing seed with its violations and the command that
replays it, and exits 1 if any seed fails.

Faults (--faults, comma-separated): none, net (drops, duplicates, partitions),
crash (crash-restarts), byz (f Byzantine replicas, kind chosen by seed), all,
or a Byzantine behaviour: ` + byzantine.Names() + `
(hotstuff mode takes only the consensus ones: silent, equivocate,
doublevote, garbage, reverse-order).

--byzantine fuzz runs the mutation fuzzer instead: f replicas run the correct
code while a seeded mutator rewrites what they send (validly re-signed), a
Byzantine client hoards timestamps, spams retries, replays executed batches,
floods digests and forges sequence requests, and the run is checked for
consistency, ordering linearizability, no acknowledged batch lost, and
liveness within ` + fmt.Sprint(sim.FuzzLivenessViews) + ` view timeouts after the fault window. The mutation
rate and whether the fault window is lossy are chosen by seed unless
--mutation-rate is set; --exclude names mutation classes to leave out.`,
		Example: `  pompe sim --seeds 100
  pompe sim --seeds 500 --faults all --nodes 7 --json
  pompe sim --seeds 1 --first-seed 4242 --faults net
  pompe sim --byzantine fuzz --mode pompe -n 7 --seeds 1000 --progress 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sf.durationSet = cmd.Flags().Changed("duration")
			base, err := sf.options()
			if err != nil {
				return err
			}
			return runSim(cmd, sf, base)
		},
	}
	f := cmd.Flags()
	f.IntVar(&sf.seeds, "seeds", 1, "number of seeds to run")
	f.Int64Var(&sf.firstSeed, "first-seed", 1, "first seed")
	f.IntVarP(&sf.nodes, "nodes", "n", 4, "replicas")
	f.IntVar(&sf.clients, "clients", 2, "clients")
	f.StringVar(&sf.faults, "faults", "none", "faults to inject (see above)")
	f.StringVar(&sf.mode, "mode", string(replica.ModeBaseline), "protocol: hotstuff or pompe")
	f.DurationVar(&sf.duration, "duration", 12*time.Second, "simulated time per seed")
	f.IntVar(&sf.workers, "workers", runtime.GOMAXPROCS(0), "seeds run at the same time")
	f.BoolVar(&sf.jsonOut, "json", false, "end with a one-line JSON summary on stdout")
	f.StringVar(&sf.byzantine, "byzantine", "", "fuzz: Byzantine mutation fuzzing (replaces --faults)")
	f.Float64Var(&sf.mutationRate, "mutation-rate", 0, "fuzz: probability that a fuzz replica mutates a message (0: chosen by seed)")
	f.StringVar(&sf.exclude, "exclude", "", "fuzz: comma-separated mutation classes never used")
	f.DurationVar(&sf.progress, "progress", 0, "print a progress line this often (0: only on a terminal)")
	return cmd
}

// options checks the flags and returns the options shared by every seed.
func (sf simFlags) options() (sim.Options, error) {
	if sf.firstSeed > math.MaxInt64-int64(sf.seeds) {
		return sim.Options{}, cliexit.Usage(fmt.Errorf("--first-seed %d: the seeds overflow", sf.firstSeed))
	}
	mode := replica.Mode(sf.mode)
	if mode != replica.ModeBaseline && mode != replica.ModePompe {
		return sim.Options{}, cliexit.Usage(fmt.Errorf("--mode %q: want %s or %s", sf.mode, replica.ModeBaseline, replica.ModePompe))
	}
	o := sim.Options{Nodes: sf.nodes, Clients: sf.clients, Mode: mode, DurationUs: sf.duration.Microseconds()}
	switch sf.byzantine {
	case "":
	case string(sim.Fuzz):
		if sf.mutationRate < 0 || sf.mutationRate > 1 {
			return sim.Options{}, cliexit.Usage(fmt.Errorf("--mutation-rate %v: want 0..1", sf.mutationRate))
		}
		ex, err := byzantine.ParseMutations(sf.exclude)
		if err != nil {
			return sim.Options{}, cliexit.Usage(err)
		}
		o.FuzzRate, o.FuzzExclude = sf.mutationRate, ex
		if !sf.durationSet {
			o.DurationUs = 0 // the fuzz run's own shape
		} else if min := int64(sim.FuzzMinDurationUs); o.DurationUs < min {
			return sim.Options{}, cliexit.Usage(fmt.Errorf("--duration %v: a fuzz run needs at least %v (fault window, then the liveness bound)", sf.duration, time.Duration(min)*time.Microsecond))
		}
	default:
		return sim.Options{}, cliexit.Usage(fmt.Errorf("--byzantine %q: want fuzz (fixed misbehaviours go in --faults)", sf.byzantine))
	}
	probe := o
	if err := probe.WithFaults(sf.faults); err != nil {
		return sim.Options{}, cliexit.Usage(err)
	}
	return o, nil
}

// seedOptions are the options of one seed: faults may depend on the seed.
func (sf simFlags) seedOptions(base sim.Options, seed int64) sim.Options {
	o := base
	o.Seed = seed
	_ = o.WithFaults(sf.faults) // checked by options
	if sf.byzantine == string(sim.Fuzz) {
		_ = o.WithFaults(string(sim.Fuzz))
	}
	return o
}

// replayCommand is the command line that reruns seed alone with the same
// explicitly set flags.
func replayCommand(flags *pflag.FlagSet, seed int64) string {
	parts := []string{"pompe", "sim", "--seeds", "1", "--first-seed", fmt.Sprint(seed)}
	flags.Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "seeds", "first-seed", "json", "workers", "progress":
			return
		}
		parts = append(parts, "--"+f.Name, shellQuote(f.Value.String()))
	})
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func runSim(cmd *cobra.Command, sf simFlags, base sim.Options) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	progress := isTerminal(stderr)
	start := time.Now()
	lastLine := start

	results := make([]*sim.Result, sf.seeds)
	var mu sync.Mutex
	ready := sync.NewCond(&mu)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(sf.workers, sf.seeds) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := sim.Run(sf.seedOptions(base, sf.firstSeed+int64(i)))
				mu.Lock()
				results[i] = &r
				ready.Broadcast()
				mu.Unlock()
			}
		}()
	}
	go func() {
		for i := range sf.seeds {
			next <- i
		}
		close(next)
	}()

	// Results are printed in seed order, whatever order they finish in.
	sum := simSummary{Seeds: sf.seeds, FirstSeed: sf.firstSeed, FailingSeeds: []int64{}, Failures: []simFailure{}}
	var latSum int64
	for i := range sf.seeds {
		mu.Lock()
		for results[i] == nil {
			ready.Wait()
		}
		r := *results[i]
		results[i] = nil
		mu.Unlock()
		sum.AcceptedBatches += r.Accepted
		sum.ViewChanges += r.ViewChanges
		latSum += r.MeanLatencyUs * int64(r.Accepted)
		if progress {
			fmt.Fprintf(stderr, "\r\033[K%d/%d seeds, %d failing, %.1f seeds/s", i+1, sf.seeds, len(sum.FailingSeeds), float64(i+1)/time.Since(start).Seconds())
		} else if sf.progress > 0 && (time.Since(lastLine) >= sf.progress || i+1 == sf.seeds) {
			lastLine = time.Now()
			fmt.Fprintf(stderr, "progress: %d/%d seeds (last %d), %d failing, %.2f seeds/s, %s elapsed\n", i+1, sf.seeds, sf.firstSeed+int64(i),
				len(sum.FailingSeeds), float64(i+1)/time.Since(start).Seconds(), time.Since(start).Round(time.Second))
		}
		if r.OK() {
			continue
		}
		fail := simFailure{Seed: r.Seed, Violations: r.Violations, Replay: replayCommand(cmd.Flags(), r.Seed)}
		sum.FailingSeeds = append(sum.FailingSeeds, r.Seed)
		sum.Failures = append(sum.Failures, fail)
		if progress {
			fmt.Fprint(stderr, "\r\033[K")
		}
		printFailure(stdout, fail)
	}
	wg.Wait()
	if progress {
		fmt.Fprint(stderr, "\r\033[K")
	}
	elapsed := time.Since(start).Seconds()
	sum.Violations = len(sum.FailingSeeds)
	sum.SeedsPerS = math.Round(float64(sf.seeds)/max(elapsed, 1e-9)*100) / 100
	if sum.AcceptedBatches > 0 {
		sum.MeanLatencyUs = latSum / int64(sum.AcceptedBatches)
	}
	fmt.Fprintf(stdout, "%d seeds from %d: %d failing, %.2f seeds/s; %d batches accepted, %d view changes, mean latency %.1f ms\n",
		sf.seeds, sf.firstSeed, sum.Violations, sum.SeedsPerS, sum.AcceptedBatches, sum.ViewChanges, float64(sum.MeanLatencyUs)/1000)
	if sf.jsonOut {
		line, err := json.Marshal(sum)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", line)
	}
	if sum.Violations > 0 {
		return cliexit.Failed("failing seeds")
	}
	return nil
}

func printFailure(w io.Writer, f simFailure) {
	fmt.Fprintf(w, "seed %d FAILED with %d violation(s):\n", f.Seed, len(f.Violations))
	for _, v := range f.Violations {
		fmt.Fprintf(w, "  %s\n", v)
	}
	fmt.Fprintf(w, "  replay: %s\n", f.Replay)
}
