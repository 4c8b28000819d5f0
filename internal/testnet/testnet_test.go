package testnet

import (
	"bytes"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
)

// seeded makes key generation reproducible and fast to vary per test.
type seeded struct{ r *rand.ChaCha8 }

func (s seeded) Read(p []byte) (int, error) { return s.r.Read(p) }

func newSeeded(seed byte) seeded {
	var s [32]byte
	s[0] = seed
	return seeded{rand.NewChaCha8(s)}
}

func TestGenerateAndLoad(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"4 replicas base ports", Options{N: 4, Clients: 3, BasePeerPort: 31000, BaseClientPort: 32000}},
		{"4 replicas hotstuff free ports", Options{N: 4, Mode: config.ModeHotStuff, FreePorts: true}},
		{"16 replicas distinct ips", Options{N: 16, Clients: 2, DistinctIPs: true, BasePeerPort: 31000, BaseClientPort: 31100}},
		{"16 replicas distinct ips free ports", Options{N: 16, DistinctIPs: true, FreePorts: true}},
		{"single replica", Options{N: 1, Clients: 1}},
		{"7 replicas", Options{N: 7, FreePorts: true}},
		{"10 replicas", Options{N: 10, FreePorts: true}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.OutDir = filepath.Join(t.TempDir(), "net")
			opts.Rand = newSeeded(byte(i))
			opts.Override = func(c *config.Config) { c.Consensus.ViewTimeout = config.Duration(2 * time.Second) }
			opts.OverrideReplica = func(i int, c *config.Config) { c.Emulation.Seed = uint64(100 + i) }
			if err := Generate(opts); err != nil {
				t.Fatal(err)
			}
			checkTestnet(t, opts)
		})
	}
}

func checkTestnet(t *testing.T, opts Options) {
	t.Helper()
	ci, err := LoadClusterInfo(opts.OutDir)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ci.Genesis.Committee()
	if err != nil {
		t.Fatal(err)
	}
	if want.N() != opts.N || len(ci.Homes) != opts.N {
		t.Fatalf("summary has %d replicas and %d homes, want %d", want.N(), len(ci.Homes), opts.N)
	}
	mode := opts.Mode
	if mode == "" {
		mode = config.ModePompe
	}
	if ci.Genesis.Mode != mode {
		t.Fatalf("mode %q, want %q", ci.Genesis.Mode, mode)
	}
	for i, home := range ci.Homes {
		h, err := config.Load(home)
		if err != nil {
			t.Fatal(err)
		}
		if h.Index != i {
			t.Fatalf("%s holds the key of replica %d", home, h.Index)
		}
		c, err := h.Committee()
		if err != nil {
			t.Fatal(err)
		}
		if c.N() != want.N() || c.F() != want.F() || !bytes.Equal(c.Cluster(), want.Cluster()) {
			t.Fatalf("replica %d: committee n=%d f=%d cluster %q differs from the summary's", i, c.N(), c.F(), c.Cluster())
		}
		for j := range c.N() {
			if !bytes.Equal(c.PublicKey(uint32(j)), want.PublicKey(uint32(j))) {
				t.Fatalf("replica %d disagrees on the key of replica %d", i, j)
			}
		}
		if !bytes.Equal(h.Key.Public(), want.PublicKey(uint32(i))) {
			t.Fatalf("replica %d's node key is not its genesis key", i)
		}
		if h.Config.Consensus.ViewTimeout != config.Duration(2*time.Second) || h.Config.Emulation.Seed != uint64(100+i) {
			t.Fatalf("replica %d: overrides not applied: %+v %+v", i, h.Config.Consensus, h.Config.Emulation)
		}
		host, _, err := net.SplitHostPort(h.Self().PeerAddress)
		if err != nil {
			t.Fatal(err)
		}
		wantIP := "127.0.0.1"
		if opts.DistinctIPs {
			wantIP = "127.0.0." + itoa(i+1)
		}
		if host != wantIP {
			t.Fatalf("replica %d on %s, want %s", i, host, wantIP)
		}
	}
	if len(ci.ClientKeyFiles) != opts.Clients {
		t.Fatalf("%d client keys, want %d", len(ci.ClientKeyFiles), opts.Clients)
	}
	ids := map[crypto.ClientID]bool{}
	for k := range opts.Clients {
		key, err := ci.ClientKey(k)
		if err != nil {
			t.Fatal(err)
		}
		id := crypto.ClientIDOf(key.Public())
		if ids[id] || ci.Clients[k].ClientID != id.String() {
			t.Fatalf("client %d: id %s duplicate or not the summary's %s", k, id, ci.Clients[k].ClientID)
		}
		ids[id] = true
		if _, isReplica := want.IndexOf(key.Public()); isReplica {
			t.Fatalf("client %d shares a key with a replica", k)
		}
	}
	if _, err := ci.ClientKey(opts.Clients); err == nil {
		t.Fatal("client key beyond the last one loaded")
	}
}

func TestGenerateReproducible(t *testing.T) {
	var clusters []string
	for range 2 {
		dir := t.TempDir()
		if err := Generate(Options{OutDir: dir, Rand: newSeeded(7)}); err != nil {
			t.Fatal(err)
		}
		ci, err := LoadClusterInfo(dir)
		if err != nil {
			t.Fatal(err)
		}
		clusters = append(clusters, ci.Genesis.ClusterID+ci.Genesis.Replicas[3].PublicKey)
	}
	if clusters[0] != clusters[1] {
		t.Fatal("same seed, different testnets")
	}
}

func TestGenerateRejects(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no dir", Options{}, "OutDir"},
		{"negative n", Options{N: -1}, "N = -1"},
		{"negative clients", Options{Clients: -1}, "Clients = -1"},
		{"mode", Options{Mode: "paxos"}, "paxos"},
		{"non-loopback ip", Options{BaseIP: "10.0.0.1"}, "loopback"},
		{"bad ip", Options{BaseIP: "localhost"}, "loopback"},
		{"too many distinct ips", Options{N: 301, DistinctIPs: true}, "254"},
		{"2 replicas", Options{N: 2}, "n must be 3f+1"},
		{"3 replicas", Options{N: 3}, "n must be 3f+1"},
		{"5 replicas", Options{N: 5}, "n must be 3f+1"},
		{"6 replicas", Options{N: 6}, "n must be 3f+1"},
		{"overlapping ports", Options{N: 10, BasePeerPort: 30000, BaseClientPort: 30005}, "overlap"},
		{"port overflow", Options{N: 10, BasePeerPort: 65530}, "65536"},
		{"bad override", Options{Override: func(c *config.Config) { c.Consensus.FixedLeader = 9 }}, "consensus.fixed_leader = 9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if tc.name != "no dir" {
				opts.OutDir = t.TempDir()
			}
			err := Generate(opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestGenerateRefusesExistingTestnet(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(Options{OutDir: dir, N: 1}); err != nil {
		t.Fatal(err)
	}
	if err := Generate(Options{OutDir: dir, N: 1}); err == nil || !strings.Contains(err.Error(), "already holds a testnet") {
		t.Fatalf("second generate: %v", err)
	}
}

func TestLoadClusterInfoErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"missing", "", "no such file"},
		{"garbage", "[[replicas]\n", "testnet.toml"},
		{"unknown key", "cluster_id = \"x\"\nmode = \"pompe\"\nfoo = 1\n", "unknown key foo"},
		{"invalid genesis", "cluster_id = \"x\"\nmode = \"pompe\"\n", "at least one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.text != "" {
				writeString(t, filepath.Join(dir, SummaryFileName), tc.text)
			}
			_, err := LoadClusterInfo(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestHostileSummaryIsRefused: testnet.toml gets the same shape check and a
// size bound before it is parsed.
func TestHostileSummaryIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"dotted key", strings.Repeat("a.", 16<<10) + "a = 1\n", "dotted parts"},
		{"nested inline tables", "a = " + strings.Repeat("{b=", 8<<10) + "1" + strings.Repeat("}", 8<<10) + "\n", "nested"},
		{"too large", strings.Repeat("# padding padding padding\n", MaxSummaryBytes/26+1), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, SummaryFileName), []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadClusterInfo(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadClusterInfo: %v, want %q", err, tc.want)
			}
		})
	}
}
