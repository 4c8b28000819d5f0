package sim

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/replica"
)

// smokeDurationUs and smokeSettleUs size the single fault-free runs: long
// enough for thousands of views, short enough to stay a smoke test (the
// sweeps below cover more seeds and faults).
const smokeDurationUs, smokeSettleUs = 6_000_000, 2_000_000

func TestNoFaultsExecutesEverything(t *testing.T) {
	t.Parallel()
	r := Run(Options{Seed: 1, DurationUs: smokeDurationUs, SettleUs: smokeSettleUs})
	if !r.OK() {
		t.Fatalf("violations: %v", r.Violations)
	}
	if r.Accepted == 0 || r.Accepted != r.Submitted {
		t.Fatalf("accepted %d of %d batches", r.Accepted, r.Submitted)
	}
}

func TestSameSeedSameRun(t *testing.T) {
	o := Options{Seed: 7, DurationUs: 6_000_000}
	if err := o.WithFaults("all"); err != nil {
		t.Fatal(err)
	}
	a, b := Run(o), Run(o)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("replay differs:\n%+v\n%+v", a, b)
	}
}

// sweep runs seeds first, first+1, ... of one configuration on all cores:
// at least minSeeds of them, then more while budget lasts, at most count.
// The seeds are always the same ones in the same order, so a failure names a
// seed that replays; a busy machine runs fewer of them, never a different
// one, and takes about the same time.
func sweep(t *testing.T, count int, first int64, budget time.Duration, mk func(seed int64) Options) {
	t.Helper()
	var wg sync.WaitGroup
	seeds := make(chan int64)
	var mu sync.Mutex
	var failed []Result
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range seeds {
				r := Run(mk(s))
				if !r.OK() || r.Accepted == 0 {
					mu.Lock()
					failed = append(failed, r)
					mu.Unlock()
				}
			}
		}()
	}
	start := time.Now()
	ran := 0
	for s := first; s < first+int64(count); s++ {
		if ran >= minSeeds && time.Since(start) > budget {
			break
		}
		seeds <- s
		ran++
	}
	close(seeds)
	wg.Wait()
	t.Logf("%d seeds from %d in %v", ran, first, time.Since(start).Round(time.Millisecond))
	for _, r := range failed {
		t.Errorf("seed %d: accepted %d/%d, violations %v", r.Seed, r.Accepted, r.Submitted, r.Violations)
	}
}

func TestSimulationSeeds(t *testing.T) {
	n := seedsPerCase
	cases := []struct {
		name   string
		faults string
		nodes  int
		mode   replica.Mode
	}{
		{"pompe-none", "none", 4, replica.ModePompe},
		{"pompe-network", "net", 4, replica.ModePompe},
		{"pompe-crash", "crash", 4, replica.ModePompe},
		{"pompe-byzantine", "byz", 4, replica.ModePompe},
		{"pompe-tslie", "tslie", 4, replica.ModePompe},
		{"pompe-future", "future", 4, replica.ModePompe},
		{"pompe-all", "all", 4, replica.ModePompe},
		{"pompe-all-seven", "net,crash,equivocate,garbage", 7, replica.ModePompe},
		{"none", "none", 4, replica.ModeBaseline},
		{"network", "net", 4, replica.ModeBaseline},
		{"crash", "crash", 4, replica.ModeBaseline},
		{"silent", "silent", 4, replica.ModeBaseline},
		{"equivocate", "equivocate", 4, replica.ModeBaseline},
		{"doublevote", "doublevote", 4, replica.ModeBaseline},
		{"garbage", "garbage", 4, replica.ModeBaseline},
		{"all", "all", 4, replica.ModeBaseline},
		{"all-seven", "net,crash,equivocate,garbage", 7, replica.ModeBaseline},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sweep(t, n, int64(1000*(i+1)), sweepBudget, func(seed int64) Options {
				mode := tc.mode
				if mode == "" {
					mode = replica.ModeBaseline
				}
				o := Options{Seed: seed, Nodes: tc.nodes, Mode: mode, DurationUs: sweepDurationUs, SettleUs: sweepSettleUs}
				if err := o.WithFaults(tc.faults); err != nil {
					t.Fatal(err)
				}
				return o
			})
		})
	}
}

// TestByzantineLeaderSlotRefused pins docs/protocol.md section 3.3 and section 1 property
// 4: a leader that drops a sequenced batch from its slot, reorders the slot or
// changes a timestamp gets its proposals refused by every correct replica and
// is replaced through a view change, and every batch still executes in its
// timestamp place (the ordering-linearizability check of the run).
func TestByzantineLeaderSlotRefused(t *testing.T) {
	t.Parallel()
	for _, b := range []Behavior{Omit, Reorder, Invent} {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			var corrupted, refused, tcs int
			for seed := int64(1); seed <= slotRefusedSeeds; seed++ {
				r := Run(Options{Seed: seed, Mode: replica.ModePompe, Byzantine: []Behavior{b}, DurationUs: 6_000_000, SettleUs: 2_000_000, Clients: 3, BatchSize: 1, Inflight: 3})
				if !r.OK() || r.Accepted == 0 || r.Accepted != r.Submitted {
					t.Fatalf("seed %d: accepted %d/%d, violations %v", seed, r.Accepted, r.Submitted, r.Violations)
				}
				corrupted += r.Corrupted
				refused += r.Refused
				tcs += r.ViewChanges
			}
			if corrupted == 0 {
				t.Fatal("the Byzantine leader never corrupted a proposal: the test exercised nothing")
			}
			if refused < corrupted*(3) {
				t.Fatalf("%d corrupted proposals but only %d refusals by the 3 correct replicas", corrupted, refused)
			}
			if tcs == 0 {
				t.Fatal("no view change replaced the Byzantine leader")
			}
		})
	}
}
