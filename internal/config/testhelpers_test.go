package config

import (
	"fmt"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// testGenesis makes an n-replica genesis and its keys.
func testGenesis(t testing.TB, n int) (Genesis, []crypto.PrivateKey) {
	t.Helper()
	g := Genesis{ClusterID: "test-cluster", Mode: ModePompe, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	keys := make([]crypto.PrivateKey, n)
	for i := range n {
		k, err := crypto.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
		g.Replicas = append(g.Replicas, ReplicaInfo{
			Index:         i,
			PublicKey:     crypto.EncodeKey(k.Public()),
			PeerAddress:   fmt.Sprintf("127.0.0.1:%d", 27000+i),
			ClientAddress: fmt.Sprintf("127.0.0.1:%d", 28000+i),
		})
	}
	return g, keys
}
