package e2e

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/pkg/app/kvstore"
)

// kvInput and kvOutput are one operation of the key-value history.
type kvInput struct {
	put bool
	// owner is the client whose key namespace holds key: clients with
	// the same key name use different registers.
	owner      int
	key, value string
}

type kvOutput struct {
	found   bool
	value   string
	unknown bool // the client gave up waiting: the put may or may not have happened
}

// kvModel is a register per key of each client (every client has its own
// key namespace): a put sets it, a get must return it.
var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			in := op.Input.(kvInput)
			k := fmt.Sprintf("%d/%s", in.owner, in.key)
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() interface{} { return "" },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		in, out := input.(kvInput), output.(kvOutput)
		if in.put {
			return true, in.value
		}
		s := state.(string)
		return out.found == (s != "") && out.value == s, s
	},
	DescribeOperation: func(input, output interface{}) string {
		in, out := input.(kvInput), output.(kvOutput)
		if in.put {
			return fmt.Sprintf("put(%s, %s)", in.key, in.value)
		}
		return fmt.Sprintf("get(%s) -> %v %q", in.key, out.found, out.value)
	},
}

// TestKVLinearizableUnderCrash checks what a client of the key-value
// application sees while a replica is killed with SIGKILL and restarted:
// the history of puts and gets of many concurrent clients must be
// linearizable (porcupine), which also means no acknowledged write is lost.
func TestKVLinearizableUnderCrash(t *testing.T) {
	for _, mode := range []config.Mode{config.ModePompe, config.ModeHotStuff} {
		t.Run(string(mode), func(t *testing.T) { kvLinearizable(t, mode) })
	}
}

func kvLinearizable(t *testing.T, mode config.Mode) {
	c := newCluster(t, mode, nil)
	c.startAll()
	var (
		mu      sync.Mutex
		history []porcupine.Operation
	)
	start := time.Now()
	stamp := func() int64 { return time.Since(start).Nanoseconds() }
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	const clients, workers, keys = 3, 2, 4
	for k := 0; k < clients; k++ {
		cl := newClient(t, c)
		defer cl.Close()
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(id int) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(id), 7))
				for n := 0; ctx.Err() == nil; n++ {
					in := kvInput{owner: k, key: fmt.Sprintf("k%d", rng.IntN(keys)), put: rng.IntN(2) == 0}
					payload := kvstore.EncodeGet([]byte(in.key))
					if in.put {
						in.value = fmt.Sprintf("c%d-%d", id, n)
						payload = kvstore.EncodePut([]byte(in.key), []byte(in.value))
					}
					call := stamp()
					opCtx, opCancel := context.WithTimeout(context.Background(), waitTimeout)
					res, err := cl.Do(opCtx, payload)
					opCancel()
					op := porcupine.Operation{ClientId: id, Input: in, Call: call, Return: stamp()}
					switch {
					case err != nil || res.Err != nil:
						if !in.put {
							continue // an unanswered read constrains nothing
						}
						op.Output, op.Return = kvOutput{unknown: true}, math.MaxInt64
					default:
						r, derr := kvstore.DecodeResult(res.Result)
						if derr != nil {
							t.Errorf("undecodable result: %v", derr)
							continue
						}
						op.Output = kvOutput{found: r.Found, value: string(r.Value)}
					}
					mu.Lock()
					history = append(history, op)
					mu.Unlock()
				}
			}(k*workers + w)
		}
	}
	time.Sleep(2 * time.Second)
	c.kill(1)
	time.Sleep(2 * time.Second)
	c.start(1)
	time.Sleep(2 * time.Second)
	cancel()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if len(history) < 20 {
		t.Fatalf("only %d operations completed (%s)", len(history), c.state())
	}
	res := porcupine.CheckOperationsTimeout(kvModel, history, time.Minute)
	switch res {
	case porcupine.Illegal:
		t.Fatalf("the key-value history of %d operations is not linearizable", len(history))
	case porcupine.Unknown:
		t.Logf("linearizability check timed out on %d operations", len(history))
	}
	t.Logf("%s: %d operations, linearizable", mode, len(history))
}
