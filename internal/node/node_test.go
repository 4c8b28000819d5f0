package node

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/internal/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func freePort(t *testing.T, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// writeCluster lays out n homes on distinct loopback addresses.
func writeCluster(t *testing.T, n int, mode config.Mode) ([]string, config.Genesis) {
	t.Helper()
	return writeClusterWith(t, n, mode, nil)
}

// writeClusterWith is writeCluster with edit applied to each replica's
// config.
func writeClusterWith(t *testing.T, n int, mode config.Mode, edit func(i int, c *config.Config)) ([]string, config.Genesis) {
	t.Helper()
	return writeClusterGenesis(t, n, mode, nil, edit)
}

// writeClusterGenesis is writeClusterWith with editGenesis applied to the
// genesis before the homes are written.
func writeClusterGenesis(t *testing.T, n int, mode config.Mode, editGenesis func(*config.Genesis), edit func(i int, c *config.Config)) ([]string, config.Genesis) {
	t.Helper()
	dir := t.TempDir()
	g := config.Genesis{ClusterID: "test-" + t.Name(), Mode: mode, Created: time.Now().UTC()}
	var keys []crypto.PrivateKey
	for i := 0; i < n; i++ {
		k, err := crypto.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
		ip := fmt.Sprintf("127.0.%d.%d", 40+i/200, 1+i%200)
		g.Replicas = append(g.Replicas, config.ReplicaInfo{Index: i, PublicKey: crypto.EncodeKey(k.Public()),
			PeerAddress: freePort(t, ip), ClientAddress: freePort(t, ip)})
	}
	if editGenesis != nil {
		editGenesis(&g)
	}
	var homes []string
	for i := 0; i < n; i++ {
		c := config.Default()
		c.Consensus.ViewTimeout = config.Duration(300 * time.Millisecond)
		c.Consensus.ViewTimeoutMax = config.Duration(2 * time.Second)
		c.Node.LogLevel = "warn"
		if edit != nil {
			edit(i, &c)
		}
		home := filepath.Join(dir, fmt.Sprintf("node%d", i))
		if err := config.WriteHome(home, c, g, keys[i]); err != nil {
			t.Fatal(err)
		}
		homes = append(homes, home)
	}
	return homes, g
}

type running struct {
	cancel context.CancelFunc
	done   chan error
}

func startNode(t *testing.T, home string) *running {
	t.Helper()
	return startNodeWith(t, home, Options{})
}

func startNodeWith(t *testing.T, home string, opts Options) *running {
	t.Helper()
	n, err := Open(home, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- n.Run(ctx) }()
	return r
}

func (r *running) stop(t *testing.T) {
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("node stopped with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("node did not stop")
	}
}

// submitAll sends batches to every replica and waits for f+1 matching
// Executed replies per batch.
func submitAll(t *testing.T, g config.Genesis, batches int) {
	t.Helper()
	submitAllExcept(t, g, batches)
}

// submitAllExcept is submitAll that does not dial the replicas down.
func submitAllExcept(t *testing.T, g config.Genesis, batches int, down ...int) {
	t.Helper()
	key, _ := crypto.GenerateKey(nil)
	id := crypto.ClientIDOf(key.Public())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var conns []*transport.ClientConn
	for _, r := range g.Replicas {
		if slices.Contains(down, r.Index) {
			continue
		}
		pub, _ := crypto.DecodePublicKey(r.PublicKey)
		var c *transport.ClientConn
		var err error
		for try := 0; try < 20; try++ {
			c, err = transport.DialReplica(ctx, r.ClientAddress, key, pub, transport.ClientDialOptions{})
			if err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Logf("replica %d unreachable: %v", r.Index, err)
			continue
		}
		defer c.Close()
		conns = append(conns, c)
	}
	f := g.F()
	type key2 struct {
		d   batch.Digest
		pos string
	}
	var mu sync.Mutex
	votes := map[key2]int{}
	done := map[batch.Digest]bool{}
	got := make(chan batch.Digest, batches*len(conns))
	for _, c := range conns {
		go func(c *transport.ClientConn) {
			for m := range c.Incoming() {
				ex := m.GetExecuted()
				if ex == nil {
					continue
				}
				d, _ := batch.DigestFromBytes(ex.Digest)
				k := key2{d, fmt.Sprint(ex.Height, ex.Position)}
				mu.Lock()
				votes[k]++
				if votes[k] == f+1 && !done[d] {
					done[d] = true
					got <- d
				}
				mu.Unlock()
			}
		}(c)
	}
	for i := 0; i < batches; i++ {
		b := &wire.Batch{Submitter: id[:], Nonce: uint64(i), Commands: []*wire.Command{{ClientId: id[:], Seq: uint64(i + 1), Payload: []byte("x")}}}
		m := &wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{Batch: batch.Sign(b, key, []byte(g.ClusterID))}}}
		for _, c := range conns {
			_ = c.Send(m)
		}
	}
	for i := 0; i < batches; i++ {
		select {
		case <-got:
		case <-ctx.Done():
			t.Fatalf("only %d of %d batches executed", i, batches)
		}
	}
}

func TestClusterCommitsAndSurvivesLeaderCrash(t *testing.T) {
	homes, g := writeCluster(t, 4, config.ModeHotStuff)
	nodes := make([]*running, 4)
	for i, h := range homes {
		nodes[i] = startNode(t, h)
	}
	submitAll(t, g, 20)
	// Stop replica 0 (leader of the first term): the others change view.
	nodes[0].stop(t)
	submitAll(t, g, 10)
	// Restart it: it recovers from disk and rejoins.
	nodes[0] = startNode(t, homes[0])
	submitAll(t, g, 10)
	for _, n := range nodes {
		n.stop(t)
	}
}
