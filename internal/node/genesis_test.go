package node

import (
	"bytes"
	"testing"

	"github.com/pompe-bft/pompe/internal/config"
)

func TestGenesisHashCoversWhatPeersMustShare(t *testing.T) {
	base := func() *config.Genesis {
		return &config.Genesis{ClusterID: "c1", Mode: config.ModePompe, Replicas: []config.ReplicaInfo{
			{Index: 0, PublicKey: "k0", PeerAddress: "10.0.0.1:1"}, {Index: 1, PublicKey: "k1", PeerAddress: "10.0.0.2:1"}}}
	}
	want := genesisHash(base())
	same := base()
	same.Replicas[0].PeerAddress = "192.168.0.1:1" // another view of the address
	same.Clients = []string{}                      // an open cluster hashes as before allowlists
	if !bytes.Equal(genesisHash(same), want) {
		t.Error("an address change changed the hash")
	}
	for name, edit := range map[string]func(*config.Genesis){
		"cluster id": func(g *config.Genesis) { g.ClusterID = "c2" },
		"mode":       func(g *config.Genesis) { g.Mode = config.ModeHotStuff },
		"key":        func(g *config.Genesis) { g.Replicas[1].PublicKey = "k9" },
		"key order":  func(g *config.Genesis) { g.Replicas[0].PublicKey, g.Replicas[1].PublicKey = "k1", "k0" },
		"size":       func(g *config.Genesis) { g.Replicas = g.Replicas[:1] },
		"allowlist":  func(g *config.Genesis) { g.Clients = []string{"c0"} },
	} {
		g := base()
		edit(g)
		if bytes.Equal(genesisHash(g), want) {
			t.Errorf("a different %s gives the same hash", name)
		}
	}
}
