package transport

import (
	"sync"
	"testing"

	"github.com/pompe-bft/pompe/internal/wire"
)

// TestInspectPeerSeesEveryMessageBeforeItIsQueued: the inspector runs for
// each message a peer sends, with the right sender, before the message is
// on Inbound().
func TestInspectPeerSeesEveryMessageBeforeItIsQueued(t *testing.T) {
	type key struct {
		from uint32
		view uint64
	}
	var mu sync.Mutex
	seen := map[key]bool{}
	c := newCluster(t, 4, 2, func(i int, cfg *Config) {
		if i == 1 {
			cfg.InspectPeer = func(from uint32, m *wire.Message) {
				mu.Lock()
				seen[key{from, viewOf(m)}] = true
				mu.Unlock()
			}
		}
	})
	const count = 20
	for v := uint64(1); v <= count; v++ {
		c.ts[0].Send(1, vote(0, v))
	}
	for range count {
		in := recvWhere(t, c.ts[1].Inbound(), func(Inbound) bool { return true })
		mu.Lock()
		ok := seen[key{in.From, viewOf(in.Msg)}]
		mu.Unlock()
		if !ok {
			t.Fatalf("message of view %d from %d queued before it was inspected", viewOf(in.Msg), in.From)
		}
		in.Release()
	}
}
