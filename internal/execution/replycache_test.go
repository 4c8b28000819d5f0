package execution

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
)

func digestN(i int) (d batch.Digest) {
	d[0], d[1] = byte(i), byte(i>>8)
	return d
}

// TestReplyCacheBounds: each bound evicts oldest first and keeps the
// newest reply; a client's share evicts that client's own oldest.
func TestReplyCacheBounds(t *testing.T) {
	a, b := crypto.ClientID{1}, crypto.ClientID{2}
	type put struct {
		to              crypto.ClientID
		commands, bytes int
	}
	tests := []struct {
		name                       string
		batches, cmds, bytes, mine int
		puts                       []put
		want                       []int // indexes of puts still cached
	}{
		{"commands bound", 3, 100, 1 << 20, 1 << 20, []put{{a, 40, 1}, {a, 40, 1}, {a, 40, 1}}, []int{1, 2}},
		{"batch bound", 3, 100, 1 << 20, 1 << 20, []put{{a, 1, 1}, {b, 1, 1}, {a, 1, 1}, {b, 1, 1}}, []int{1, 2, 3}},
		{"byte bound", 100, 100, 100, 100, []put{{a, 1, 40}, {b, 1, 40}, {a, 1, 40}}, []int{1, 2}},
		{"newest kept alone beyond the command bound", 3, 100, 1 << 20, 1 << 20, []put{{a, 1, 1}, {b, 1000, 1}}, []int{1}},
		{"larger than a share: not kept", 100, 100, 1000, 100, []put{{a, 1, 10}, {a, 1, 101}}, []int{0}},
		{"client share evicts that client's oldest", 100, 1000, 1000, 100,
			[]put{{b, 1, 60}, {a, 1, 60}, {b, 1, 30}, {a, 1, 60}, {a, 1, 30}}, []int{0, 2, 3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newReplyCache(tt.batches, tt.cmds, tt.bytes, tt.mine)
			for i, p := range tt.puts {
				c.put(digestN(i), &cachedReply{to: p.to, commands: p.commands, bytes: p.bytes})
			}
			want := make(map[int]bool)
			for _, i := range tt.want {
				want[i] = true
			}
			for i := range tt.puts {
				if c.has(digestN(i)) != want[i] {
					t.Fatalf("reply %d cached = %v, want %v", i, c.has(digestN(i)), want[i])
				}
			}
		})
	}
}

// TestReplyCacheInvariants: under any sequence of puts, every bound and
// every client's share holds (beyond a lone newest reply), the accounting
// matches the contents, and the queues stay proportional to what is live.
func TestReplyCacheInvariants(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		maxBatches := rapid.IntRange(1, 20).Draw(t, "maxBatches")
		maxCommands := rapid.IntRange(1, 200).Draw(t, "maxCommands")
		maxBytes := rapid.IntRange(1, 5000).Draw(t, "maxBytes")
		share := rapid.IntRange(1, maxBytes).Draw(t, "share")
		c := newReplyCache(maxBatches, maxCommands, maxBytes, share)
		n := rapid.IntRange(1, 400).Draw(t, "puts")
		for i := range n {
			to := crypto.ClientID{byte(rapid.IntRange(0, 4).Draw(t, "client"))}
			r := &cachedReply{to: to, commands: rapid.IntRange(0, 50).Draw(t, "commands"), bytes: rapid.IntRange(1, 2000).Draw(t, "bytes")}
			d := digestN(rapid.IntRange(0, 600).Draw(t, "digest"))
			was := c.has(d)
			c.put(d, r)
			if !was && r.bytes <= share && !c.has(d) {
				t.Fatalf("put %d: newest reply that fits a share was not kept", i)
			}
			bytes, commands := 0, 0
			perClient := map[crypto.ClientID]int{}
			for _, x := range c.m {
				bytes += x.bytes
				commands += x.commands
				perClient[x.to] += x.bytes
			}
			if bytes != c.bytes || commands != c.commands {
				t.Fatalf("accounting %d bytes %d commands, contents %d, %d", c.bytes, c.commands, bytes, commands)
			}
			if len(c.m) > 1 && (len(c.m) > maxBatches || bytes > maxBytes || commands > maxCommands) {
				t.Fatalf("%d replies, %d bytes, %d commands exceed %d, %d, %d", len(c.m), bytes, commands, maxBatches, maxBytes, maxCommands)
			}
			for id, b := range perClient {
				if b > share {
					t.Fatalf("client %v holds %d bytes, share %d", id, b, share)
				}
				if cl := c.perClient[id]; cl == nil || cl.bytes != b {
					t.Fatalf("client %v accounting wrong", id)
				}
			}
			if len(perClient) != len(c.perClient) {
				t.Fatalf("%d clients tracked, %d hold replies", len(c.perClient), len(perClient))
			}
			if q := c.order.len(); q > 2*len(c.m)+65 {
				t.Fatalf("queue of %d for %d replies", q, len(c.m))
			}
		}
	})
}
