package sim

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/pompe-bft/pompe/internal/replica"
)

func TestNoFaultsExecutesEverything(t *testing.T) {
	r := Run(Options{Seed: 1})
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

// sweep runs seeds [first, first+count) of one configuration on all cores.
func sweep(t *testing.T, count int, first int64, mk func(seed int64) Options) {
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
	for s := first; s < first+int64(count); s++ {
		seeds <- s
	}
	close(seeds)
	wg.Wait()
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
			sweep(t, n, int64(1000*(i+1)), func(seed int64) Options {
				mode := tc.mode
				if mode == "" {
					mode = replica.ModeBaseline
				}
				o := Options{Seed: seed, Nodes: tc.nodes, Mode: mode, DurationUs: 8_000_000, SettleUs: 3_000_000}
				if err := o.WithFaults(tc.faults); err != nil {
					t.Fatal(err)
				}
				return o
			})
		})
	}
}
