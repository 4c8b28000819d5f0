package loadgen

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/node"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/testnet"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startCluster runs a hotstuff testnet in process until the test ends.
func startCluster(t *testing.T, clients int) (*testnet.ClusterInfo, []crypto.PrivateKey) {
	t.Helper()
	dir := t.TempDir()
	if err := testnet.Generate(testnet.Options{
		OutDir: dir, N: 4, Clients: clients, Mode: config.ModeHotStuff, FreePorts: true,
		Override: func(c *config.Config) { c.Storage.Sync = false },
	}); err != nil {
		t.Fatal(err)
	}
	ci, err := testnet.LoadClusterInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, len(ci.Homes))
	for _, home := range ci.Homes {
		n, err := node.Open(home, node.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		go func() { done <- n.Run(ctx) }()
	}
	t.Cleanup(func() {
		cancel()
		for range ci.Homes {
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("replica stopped with %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("replica did not stop")
			}
		}
	})
	keys := make([]crypto.PrivateKey, clients)
	for k, path := range ci.ClientKeyFiles {
		if keys[k], err = config.ReadKeyFile(path); err != nil {
			t.Fatal(err)
		}
	}
	return ci, keys
}

func freshKeys(t *testing.T, n int) []crypto.PrivateKey {
	t.Helper()
	keys := make([]crypto.PrivateKey, n)
	for i := range keys {
		var err error
		if keys[i], err = crypto.GenerateKey(nil); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func countLines(t *testing.T, path string) uint64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(bytes.Count(data, []byte("\n")))
}

func TestRunAgainstHotStuffCluster(t *testing.T) {
	ci, _ := startCluster(t, 0)
	tests := []struct {
		name string
		rate float64
	}{
		{"closed loop", 0},
		{"open loop", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			// Fresh keys per run: a client restarting with a used key would
			// number its commands from 1 again, and replicas would skip them
			// as already executed.
			keys := freshKeys(t, 2)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			g, err := New(ctx, Options{
				Genesis: ci.Genesis, ClientKeys: keys, OutDir: out, Duration: 1500 * time.Millisecond,
				Inflight: 2, BatchCommands: 5, RatePerClient: tc.rate, PayloadBytes: 100,
			})
			if err != nil {
				t.Fatal(err)
			}
			s, err := g.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s.Executed == 0 || s.ExecutedPerSec <= 0 || s.ExecLatency.Count != s.Executed {
				t.Fatalf("summary %+v: want executed commands with latencies", s)
			}
			if s.Ordered != 0 || s.OrderLatency.Count != 0 {
				t.Errorf("hotstuff mode has no ordering phase, got %+v", s)
			}
			if s.ExecLatency.P50 <= 0 || s.ExecLatency.P50 > s.ExecLatency.P99 {
				t.Errorf("implausible latencies %+v", s.ExecLatency)
			}
			var logged uint64
			for k := range keys {
				logged += countLines(t, filepath.Join(out, ExecLogName(k)))
				if _, err := os.Stat(filepath.Join(out, OrderLogName(k))); !os.IsNotExist(err) {
					t.Errorf("order log of client %d in hotstuff mode: %v", k, err)
				}
				if countLines(t, filepath.Join(out, runlog.ClientRecordsName(k))) == 0 {
					t.Errorf("client %d wrote no records", k)
				}
			}
			if logged != s.Executed {
				t.Errorf("exec logs hold %d lines, summary counts %d", logged, s.Executed)
			}
			if p := g.Progress(); p.Executed < s.Executed || p.Submitted != s.Submitted {
				t.Errorf("progress %+v disagrees with summary %+v", p, s)
			}
			ri, err := ReadRunInfo(out)
			if err != nil {
				t.Fatal(err)
			}
			if ri.Mode != config.ModeHotStuff || ri.Clients != 2 || ri.BatchCommands != 5 || ri.Window() != s.Window ||
				ri.WindowStartUs != s.Start.UnixMicro() || ri.Submitted != s.Submitted || ri.RatePerClient != tc.rate {
				t.Errorf("run info %+v disagrees with summary %+v", ri, s)
			}
		})
	}
}

func TestNewFailsWhenNoReplicaAnswers(t *testing.T) {
	dir := t.TempDir()
	if err := testnet.Generate(testnet.Options{OutDir: dir, N: 4, Clients: 1, Mode: config.ModeHotStuff, FreePorts: true}); err != nil {
		t.Fatal(err)
	}
	ci, err := testnet.LoadClusterInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	key, err := config.ReadKeyFile(ci.ClientKeyFiles[0])
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(context.Background(), Options{
		Genesis: ci.Genesis, ClientKeys: []crypto.PrivateKey{key}, OutDir: t.TempDir(),
		Duration: time.Second, ConnectTimeout: 300 * time.Millisecond,
	})
	if err == nil {
		t.Fatal("New succeeded without replicas")
	}
}
