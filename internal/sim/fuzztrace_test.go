package sim

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/byzantine"
	"github.com/pompe-bft/pompe/internal/replica"
)

// TestFuzzTrace replays one fuzz seed with every mutation printed, for
// diagnosing a failure; it runs only when FUZZ_SEED is set:
//
//	FUZZ_SEED=1 FUZZ_MODE=pompe FUZZ_N=4 [FUZZ_TRACE=view-far] [FUZZ_EXCLUDE=a,b] \
//	  go test -count=1 -v -run TestFuzzTrace ./internal/sim/
//
// FUZZ_TRACE keeps only the lines containing it. At the end it prints the
// result and each replica's consensus and ordering state.
func TestFuzzTrace(t *testing.T) {
	seed, err := strconv.ParseInt(os.Getenv("FUZZ_SEED"), 10, 64)
	if err != nil {
		t.Skip("FUZZ_SEED not set")
	}
	n, _ := strconv.Atoi(os.Getenv("FUZZ_N"))
	ex, err := byzantine.ParseMutations(os.Getenv("FUZZ_EXCLUDE"))
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Seed: seed, Nodes: n, Mode: replica.Mode(os.Getenv("FUZZ_MODE")), FuzzExclude: ex}
	filter := os.Getenv("FUZZ_TRACE")
	o.Trace = func(l string) {
		if strings.Contains(l, filter) {
			fmt.Println(l)
		}
	}
	if err := o.WithFaults(string(Fuzz)); err != nil {
		t.Fatal(err)
	}
	c, r := run(o)
	fmt.Printf("seed %d rate %.2f drop %.2f crashes %d: ok=%v accepted %d/%d max wait after heal %dus committed %d view changes %d refused %d\nmutations %v\nbyzantine client %v\n",
		seed, o.FuzzRate, o.DropRate, o.Crashes, r.OK(), r.Accepted, r.Submitted, r.MaxHealedWaitUs, r.Committed, r.ViewChanges, r.Refused, r.Mutations, r.ByzClientActs)
	for _, v := range r.Violations {
		fmt.Println("violation:", v)
	}
	for _, nd := range c.nodes {
		if nd.r != nil {
			fmt.Printf("replica %d (%s): %s\n", nd.id, map[bool]string{true: "correct", false: string(nd.behavior)}[nd.correct()], nd.r.String())
		}
	}
}
