package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/crypto"
)

func TestGenesisValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(g *Genesis)
		wants []string // empty: valid
	}{
		{"valid", func(*Genesis) {}, nil},
		{"single replica", func(g *Genesis) { g.Replicas = g.Replicas[:1] }, nil},
		{"hotstuff", func(g *Genesis) { g.Mode = ModeHotStuff }, nil},
		{"no replicas", func(g *Genesis) { g.Replicas = nil }, []string{"at least one"}},
		{"empty cluster", func(g *Genesis) { g.ClusterID = "" }, []string{"cluster_id"}},
		{"unknown mode", func(g *Genesis) { g.Mode = "raft" }, []string{`mode = "raft"`}},
		{"index out of order", func(g *Genesis) { g.Replicas[1].Index = 2 }, []string{"replicas[1].index = 2"}},
		{"bad key", func(g *Genesis) { g.Replicas[2].PublicKey = "abc" }, []string{"replicas[2].public_key"}},
		{"duplicate key", func(g *Genesis) { g.Replicas[3].PublicKey = g.Replicas[0].PublicKey }, []string{"replicas[3].public_key", "replica 0"}},
		{"duplicate address", func(g *Genesis) { g.Replicas[1].ClientAddress = g.Replicas[0].PeerAddress },
			[]string{"replicas[1].client_address", "replicas[0].peer_address"}},
		{"address without port", func(g *Genesis) { g.Replicas[0].PeerAddress = "127.0.0.1" }, []string{"replicas[0].peer_address"}},
		{"port zero", func(g *Genesis) { g.Replicas[0].PeerAddress = "127.0.0.1:0" }, []string{"port must not be 0"}},
		{"port too big", func(g *Genesis) { g.Replicas[0].ClientAddress = "127.0.0.1:70000" }, []string{"replicas[0].client_address"}},
		{"no host", func(g *Genesis) { g.Replicas[0].ClientAddress = ":9000" }, []string{"host is missing"}},
		{"client allowlist", func(g *Genesis) { g.Clients = []string{g.Replicas[0].PublicKey, g.Replicas[1].PublicKey} }, nil},
		{"bad client key", func(g *Genesis) { g.Clients = []string{g.Replicas[0].PublicKey, "xyz"} }, []string{"clients[1]"}},
		{"duplicate client key", func(g *Genesis) { g.Clients = []string{g.Replicas[0].PublicKey, g.Replicas[0].PublicKey} },
			[]string{"clients[1]", "same key as clients[0]"}},
		{"too many clients", func(g *Genesis) { g.Clients = make([]string, MaxAllowlistClients+1) }, []string{"at most"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := testGenesis(t, 4)
			tc.edit(&g)
			err := g.Validate()
			if len(tc.wants) == 0 {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestGenesisCommittee(t *testing.T) {
	tests := []struct{ n, f int }{{1, 0}, {4, 1}, {7, 2}, {10, 3}, {16, 5}}
	for _, tc := range tests {
		g, keys := testGenesis(t, tc.n)
		c, err := g.Committee()
		if err != nil {
			t.Fatal(err)
		}
		if c.N() != tc.n || c.F() != tc.f || g.F() != tc.f {
			t.Fatalf("n=%d: committee n=%d f=%d, genesis f=%d; want f=%d", tc.n, c.N(), c.F(), g.F(), tc.f)
		}
		if string(c.Cluster()) != g.ClusterID {
			t.Fatalf("cluster %q", c.Cluster())
		}
		for i, k := range keys {
			if j, ok := c.IndexOf(k.Public()); !ok || int(j) != i {
				t.Fatalf("replica %d found at %d (%v)", i, j, ok)
			}
		}
	}
}

// TestGenesisSizeRule: a genesis whose n is not 3f+1 is refused by
// Validate, by Committee and by ParseGenesis, with the rule in the error.
func TestGenesisSizeRule(t *testing.T) {
	for _, tc := range []struct {
		n  int
		ok bool
	}{{1, true}, {2, false}, {3, false}, {4, true}, {5, false}, {6, false}, {7, true}, {8, false}, {10, true}, {16, true}} {
		g, _ := testGenesis(t, tc.n)
		data, err := EncodeGenesis(g)
		if err != nil {
			t.Fatal(err)
		}
		_, parseErr := ParseGenesis(data)
		_, comErr := g.Committee()
		for what, err := range map[string]error{"Validate": g.Validate(), "Committee": comErr, "ParseGenesis": parseErr} {
			if tc.ok {
				if err != nil {
					t.Errorf("n=%d: %s: %v", tc.n, what, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), "n must be 3f+1") {
				t.Errorf("n=%d: %s = %v; want the 3f+1 rule", tc.n, what, err)
			}
		}
	}
}

func TestGenesisRoundTrip(t *testing.T) {
	g, _ := testGenesis(t, 4)
	data, err := EncodeGenesis(g)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseGenesis(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if !reflect.DeepEqual(back, g) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, g)
	}
	if _, err := ParseGenesis(append(data, []byte("extra = 1\n")...)); err == nil || !strings.Contains(err.Error(), "unknown key") {
		t.Fatalf("unknown genesis key: %v", err)
	}
}

func TestGenesisIndexOf(t *testing.T) {
	g, keys := testGenesis(t, 4)
	if i, ok := g.IndexOf(keys[2].Public()); !ok || i != 2 {
		t.Fatalf("IndexOf = %d, %v", i, ok)
	}
	other, _ := crypto.GenerateKey(nil)
	if _, ok := g.IndexOf(other.Public()); ok {
		t.Fatal("stranger found")
	}
}
