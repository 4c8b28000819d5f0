package replybudget

import (
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/crypto"
)

var t0 = time.Unix(1_000_000, 0)

func client(i byte) crypto.ClientID { return crypto.ClientID{i} }

func TestAllow(t *testing.T) {
	small := Limits{ClientBytesPerSec: 100, ClientBurstBytes: 200, TotalBytesPerSec: 1000, TotalBurstBytes: 300, MaxClients: 2}
	type call struct {
		client byte
		size   int
		after  time.Duration // since t0
		want   bool
	}
	for _, tc := range []struct {
		name  string
		calls []call
	}{
		{"within the burst", []call{{1, 100, 0, true}, {1, 100, 0, true}}},
		{"over the client's burst", []call{{1, 150, 0, true}, {1, 100, 0, false}}},
		{"refills at the client's rate", []call{{1, 200, 0, true}, {1, 100, 500 * time.Millisecond, false}, {1, 100, time.Second, true}}},
		{"another client has its own bucket", []call{{1, 200, 0, true}, {2, 100, 0, true}}},
		{"all clients share the total", []call{{1, 200, 0, true}, {2, 150, 0, false}, {2, 100, 0, true}}},
		{"a reply above the burst passes from full buckets, then nothing", []call{{1, 500, 0, true}, {1, 10, 0, false}, {2, 10, 0, false}}},
		{"table full of busy buckets refuses a new client", []call{{1, 100, 0, true}, {2, 100, 0, true}, {3, 1, 0, false}}},
		{"refilled buckets make room", []call{{1, 100, 0, true}, {2, 100, 0, true}, {3, 1, 2 * time.Second, true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := New(small, t0)
			for i, c := range tc.calls {
				if got := b.Allow(client(c.client), c.size, t0.Add(c.after)); got != c.want {
					t.Fatalf("call %d (client %d, %d B at +%v) = %v, want %v", i, c.client, c.size, c.after, got, c.want)
				}
			}
		})
	}
}

// TestBoundsHold: whatever the calls, one client never gets more than its
// burst plus its rate times the time elapsed (replies at most one burst),
// all clients never more than the total's, and the table never holds more
// than MaxClients buckets.
func TestBoundsHold(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := Limits{
			ClientBytesPerSec: rapid.Int64Range(1, 1000).Draw(t, "clientRate"),
			ClientBurstBytes:  rapid.Int64Range(1, 2000).Draw(t, "clientBurst"),
			TotalBytesPerSec:  rapid.Int64Range(1, 4000).Draw(t, "totalRate"),
			TotalBurstBytes:   rapid.Int64Range(1, 8000).Draw(t, "totalBurst"),
			MaxClients:        rapid.IntRange(1, 4).Draw(t, "maxClients"),
		}
		b := New(l, t0)
		now := t0
		perClient := map[byte]int64{}
		var total int64
		for range rapid.IntRange(1, 200).Draw(t, "calls") {
			now = now.Add(time.Duration(rapid.Int64Range(0, int64(500*time.Millisecond)).Draw(t, "gap")))
			c := rapid.ByteRange(0, 7).Draw(t, "client")
			size := rapid.Int64Range(0, min(l.ClientBurstBytes, l.TotalBurstBytes)).Draw(t, "size")
			if !b.Allow(client(c), int(size), now) {
				continue
			}
			perClient[c] += size
			total += size
			el := now.Sub(t0).Seconds()
			// A swept bucket was full, and comes back full: sweeping
			// gives a client nothing a kept bucket would not.
			if lim := float64(l.ClientBurstBytes) + el*float64(l.ClientBytesPerSec); float64(perClient[c]) > lim+1e-6 {
				t.Fatalf("client %d got %d B in %.3f s, bound %.0f", c, perClient[c], el, lim)
			}
			if lim := float64(l.TotalBurstBytes) + el*float64(l.TotalBytesPerSec); float64(total) > lim+1e-6 {
				t.Fatalf("all clients got %d B in %.3f s, bound %.0f", total, el, lim)
			}
			if b.Len() > l.MaxClients {
				t.Fatalf("%d buckets, bound %d", b.Len(), l.MaxClients)
			}
		}
	})
}
