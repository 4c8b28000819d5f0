package transport

import (
	"strings"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"

	"github.com/prometheus/client_golang/prometheus"
)

func TestFullMeshEveryDirection(t *testing.T) {
	const n = 4
	reg := prometheus.NewRegistry()
	c := newCluster(t, n, n, func(i int, cfg *Config) {
		if i == 0 {
			cfg.Metrics = reg
		}
	})
	type key struct {
		from uint32
		view uint64
	}
	for i, tr := range c.ts {
		tr.Broadcast(vote(uint32(i), 1))
		for j := range n {
			tr.Send(uint32(j), vote(uint32(i), uint64(100+j)))
		}
	}
	for j, tr := range c.ts {
		want := map[key]bool{}
		for i := range n {
			if i != j {
				want[key{uint32(i), 1}] = true
			}
			want[key{uint32(i), uint64(100 + j)}] = true
		}
		for len(want) > 0 {
			in := recvWhere(t, tr.Inbound(), func(Inbound) bool { return true })
			if in.From != in.Msg.GetVote().GetVoter() {
				t.Fatalf("replica %d: message from %d claims voter %d", j, in.From, in.Msg.GetVote().GetVoter())
			}
			k := key{in.From, viewOf(in.Msg)}
			if !want[k] {
				t.Fatalf("replica %d: unexpected or duplicate %+v", j, k)
			}
			delete(want, k)
		}
	}
	s := c.ts[0].Stats()
	for j := 1; j < n; j++ {
		if s.Peers[j].FramesSent != 2 || s.Peers[j].DroppedQueueFull != 0 {
			t.Errorf("peer %d stats: %+v", j, s.Peers[j])
		}
	}
	if s.Peers[0].FramesReceived != 1 {
		t.Errorf("self deliveries: %+v", s.Peers[0])
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
	}
	if !strings.Contains(strings.Join(names, " "), "pompe_transport_frames_sent_total") {
		t.Errorf("metrics missing frames_sent: %v", names)
	}
}

func TestReconnectAfterPeerRestart(t *testing.T) {
	c := newCluster(t, 4, 2, nil)
	c.ts[0].Send(1, vote(0, 1))
	recvWhere(t, c.ts[1].Inbound(), func(in Inbound) bool { return in.From == 0 })
	if err := c.ts[1].Close(); err != nil {
		t.Fatal(err)
	}
	restarted := c.start(t, 1, nil)
	got := make(chan Inbound, 1)
	go func() {
		for in := range restarted.Inbound() {
			if in.From == 0 {
				select {
				case got <- in:
				default:
				}
			}
		}
	}()
	deadline := time.After(waitTimeout)
	for view := uint64(2); ; view++ {
		c.ts[0].Send(1, vote(0, view))
		select {
		case <-got:
			if s := c.ts[0].Stats(); s.Peers[1].Reconnects == 0 {
				t.Errorf("no reconnect counted: %+v", s.Peers[1])
			}
			restarted.Close() // ends the draining goroutine
			return
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatal("restarted peer never received a message")
		}
	}
}

func TestDeadPeerQueueStaysBounded(t *testing.T) {
	const bound, sends = 16, 1000
	c := newCluster(t, 4, 1, func(_ int, cfg *Config) { cfg.PeerQueueFrames = bound })
	for v := range sends {
		c.ts[0].Send(1, vote(0, uint64(v)))
		c.ts[0].Broadcast(vote(0, uint64(v)))
	}
	s := c.ts[0].Stats()
	for _, p := range []int{1, 2} {
		ps := s.Peers[p]
		if ps.QueuedFrames > bound {
			t.Errorf("peer %d queue holds %d frames, bound %d", p, ps.QueuedFrames, bound)
		}
		sent := sends
		if p == 1 {
			sent = 2 * sends
		}
		if got := uint64(ps.QueuedFrames) + ps.DroppedQueueFull + ps.FramesSent; got != uint64(sent) {
			t.Errorf("peer %d: queued+dropped+sent = %d, want %d (%+v)", p, got, sent, ps)
		}
		if ps.DroppedQueueFull == 0 {
			t.Errorf("peer %d: no drops counted", p)
		}
	}
}

// A peer that stops reading must cost bounded memory and must not delay
// traffic to the others.
func TestStalledPeerDoesNotStallOthers(t *testing.T) {
	const bound = 8
	c := newCluster(t, 4, 3, func(i int, cfg *Config) {
		cfg.PeerQueueFrames = bound
		cfg.InboundQueue = 1
	})
	// Replica 1 never drains its inbound channel.
	big := vote(0, 1)
	big.GetVote().Sig = make([]byte, 128<<10)
	for range 300 {
		c.ts[0].Send(1, big)
	}
	c.ts[0].Send(2, vote(0, 7))
	recvWhere(t, c.ts[2].Inbound(), func(in Inbound) bool { return in.From == 0 && viewOf(in.Msg) == 7 })
	s := c.ts[0].Stats().Peers[1]
	if s.QueuedFrames > bound {
		t.Errorf("stalled peer queue holds %d frames, bound %d", s.QueuedFrames, bound)
	}
	if s.DroppedQueueFull == 0 {
		t.Errorf("no drops toward the stalled peer: %+v", s)
	}
}

func TestSendToUnknownReplicaIsDropped(t *testing.T) {
	c := newCluster(t, 4, 1, nil)
	c.ts[0].Send(7, vote(0, 1)) // must neither panic nor block
	c.ts[0].Send(0, vote(0, 2))
	in := recvWhere(t, c.ts[0].Inbound(), func(Inbound) bool { return true })
	if in.From != 0 || viewOf(in.Msg) != 2 {
		t.Fatalf("got %v from %d", in.Msg, in.From)
	}
}

func TestConfigValidation(t *testing.T) {
	keys, committee := testKeys(t, 4)
	addrs := []string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:4"}
	tests := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"good", func(*Config) {}, true},
		{"no committee", func(c *Config) { c.Committee = nil }, false},
		{"self outside committee", func(c *Config) { c.Self = 4 }, false},
		{"no key", func(c *Config) { c.Key = crypto.PrivateKey{} }, false},
		{"key of another replica", func(c *Config) { c.Key = keys[0] }, false},
		{"too few addresses", func(c *Config) { c.PeerAddrs = addrs[:3] }, false},
		{"missing peer address", func(c *Config) { c.PeerAddrs = []string{"", "a:1", "b:1", "c:1"} }, false},
		{"own address may be empty with ListenPeer", func(c *Config) {
			c.PeerAddrs = []string{"a:1", "", "b:1", "c:1"}
			c.ListenPeer = "127.0.0.1:0"
		}, true},
		{"back-off inverted", func(c *Config) { c.DialBackoffMin, c.DialBackoffMax = time.Second, time.Millisecond }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Self: 1, Key: keys[1], Committee: committee, PeerAddrs: addrs}
			tc.edit(&cfg)
			tr, err := New(cfg)
			if (err == nil) != tc.ok {
				t.Fatalf("New: err = %v, want ok = %v", err, tc.ok)
			}
			if tr != nil {
				tr.Close()
			}
		})
	}
}

func TestLifecycle(t *testing.T) {
	c := newCluster(t, 4, 1, nil)
	tr := c.ts[0]
	if err := tr.Start(); err == nil {
		t.Fatal("second Start succeeded")
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, ok := <-tr.Inbound(); ok {
		t.Fatal("Inbound open after Close")
	}
	if _, ok := <-tr.ClientInbound(); ok {
		t.Fatal("ClientInbound open after Close")
	}
	if err := tr.Start(); err == nil {
		t.Fatal("Start after Close succeeded")
	}
	tr.Send(1, vote(0, 1)) // after Close: dropped, no panic
	tr.Broadcast(vote(0, 1))
}
