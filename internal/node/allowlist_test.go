package node

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/internal/wire"
	"github.com/pompe-bft/pompe/pkg/client"
)

// TestClientAllowlistCluster: a cluster whose genesis lists one client key
// executes that client's batches and refuses every other key at each
// replica's handshake, with an error that says why.
func TestClientAllowlistCluster(t *testing.T) {
	for _, mode := range []config.Mode{config.ModePompe, config.ModeHotStuff} {
		t.Run(string(mode), func(t *testing.T) {
			listed, _ := crypto.GenerateKey(nil)
			unlisted, _ := crypto.GenerateKey(nil)
			homes, g := writeClusterGenesis(t, 4, mode, func(g *config.Genesis) {
				g.Clients = []string{crypto.EncodeKey(listed.Public())}
			}, nil)
			for _, h := range homes {
				r := startNode(t, h)
				defer r.stop(t)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cfg, err := client.FromGenesis(&g, listed)
			if err != nil {
				t.Fatal(err)
			}
			cl, err := client.New(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			for i := range 3 {
				if _, err := cl.Do(ctx, []byte{byte(i)}); err != nil {
					t.Fatalf("listed client's command %d: %v", i, err)
				}
			}

			for _, r := range g.Replicas {
				pub, _ := crypto.DecodePublicKey(r.PublicKey)
				c, err := transport.DialReplica(ctx, r.ClientAddress, unlisted, pub, transport.ClientDialOptions{})
				if err == nil {
					_ = c.Send(&wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{Batch: []byte("x")}}})
					_, err = c.Recv(ctx)
					c.Close()
				}
				if err == nil || !strings.Contains(err.Error(), "allowlist") {
					t.Fatalf("replica %d: unlisted client got %v, want a refusal naming the allowlist", r.Index, err)
				}
			}
		})
	}
}
