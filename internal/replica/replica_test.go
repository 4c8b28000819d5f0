package replica

import (
	"slices"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

var modes = []Mode{ModeBaseline, ModePompe}

func TestClusterCommitsSameOrder(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			c := newTestCluster(t, mode, 4)
			a, b, d := c.newClient(1), c.newClient(2), c.newClient(3)
			var want []cmdID
			for round := range 4 {
				want = append(want, a.submit(3)...)
				want = append(want, b.submit(1)...)
				if round%2 == 0 {
					want = append(want, d.submit(2)...)
				}
				c.runUntil(200_000, "round", func() bool { return true })
			}
			c.runUntil(5_000_000, "all commands executed everywhere", c.allExecuted(want))
			c.checkSameOrder()
			if got := len(c.nodes[0].log); got != len(want) {
				t.Fatalf("executed %d commands, submitted %d", got, len(want))
			}
			for _, k := range []*testClient{a, b, d} {
				if !k.allDone() {
					t.Fatalf("client %x: a batch executed without an Executed reply", k.id[0])
				}
			}
			if mode == ModePompe {
				checkPompeOrder(t, c.nodes[0])
			}
		})
	}
}

// checkPompeOrder: inside a block batches execute by (ts, digest), and
// slots partition the timestamp line, so the whole log is sorted by
// (ts, digest) and every batch carries its timestamp.
func checkPompeOrder(t *testing.T, nd *testNode) {
	t.Helper()
	for i, e := range nd.log {
		if e.TsUs == 0 {
			t.Fatalf("entry %d has no timestamp", i)
		}
		if i == 0 {
			continue
		}
		p := nd.log[i-1]
		if p.Height == e.Height && p.Position == e.Position {
			if p.Digest != e.Digest || e.Index != p.Index+1 {
				t.Fatalf("entries %d and %d: same place, different batch or index", i-1, i)
			}
			continue
		}
		if e.TsUs < p.TsUs || e.TsUs == p.TsUs && !digestOf(p).Less(digestOf(e)) {
			t.Fatalf("entry %d (h%d p%d ts %d %s) executes after entry %d (h%d p%d ts %d %s): not (ts, digest) order",
				i, e.Height, e.Position, e.TsUs, digestOf(e).Short(), i-1, p.Height, p.Position, p.TsUs, digestOf(p).Short())
		}
	}
}

// TestPompeBlockOrderByTimestamp puts several batches into one slot and
// checks that a block holding more than one executes them by (ts, digest).
func TestPompeBlockOrderByTimestamp(t *testing.T) {
	c := newTestCluster(t, ModePompe, 4)
	var clients []*testClient
	for i := range 6 {
		clients = append(clients, c.newClient(byte(10+i)))
	}
	var want []cmdID
	for range 3 {
		// All clients submit within the same few hundred microseconds, in
		// an order unrelated to their digests.
		for _, k := range clients {
			want = append(want, k.submit(1)...)
			c.now += 50
		}
		c.runUntil(100_000, "round", func() bool { return true })
	}
	c.runUntil(5_000_000, "all executed", c.allExecuted(want))
	c.checkSameOrder()
	checkPompeOrder(t, c.nodes[0])
	perBlock := map[uint64]map[uint32]bool{}
	for _, e := range c.nodes[0].log {
		if perBlock[e.Height] == nil {
			perBlock[e.Height] = map[uint32]bool{}
		}
		perBlock[e.Height][e.Position] = true
	}
	multi := false
	for _, ps := range perBlock {
		multi = multi || len(ps) > 1
	}
	if !multi {
		t.Fatal("no block held more than one batch: the order inside a block went untested")
	}
}

func TestRestartCatchesUp(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			c := newTestCluster(t, mode, 4)
			a, b := c.newClient(1), c.newClient(2)
			var want []cmdID
			for range 3 {
				want = append(want, a.submit(2)...)
				c.runUntil(100_000, "round", func() bool { return true })
			}
			c.runUntil(5_000_000, "first commands", c.allExecuted(want))

			victim := c.nodes[2]
			before := len(victim.log)
			c.crash(victim)
			for range 12 {
				want = append(want, a.submit(1)...)
				want = append(want, b.submit(1)...)
				c.runUntil(50_000, "round", func() bool { return true })
			}
			c.runUntil(10_000_000, "progress without the crashed replica", c.allExecuted(want))
			if len(victim.log) != before {
				t.Fatal("a crashed replica executed something")
			}

			c.start(victim)
			restoredAt := victim.exec.Height()
			// New commands after the restart pull the replica forward.
			for range 3 {
				want = append(want, b.submit(1)...)
				c.runUntil(50_000, "round", func() bool { return true })
			}
			c.runUntil(10_000_000, "restarted replica catches up", c.allExecuted(want))
			c.checkSameOrder()
			if h, top := victim.exec.Height(), c.nodes[0].exec.Height(); h < top-3 {
				t.Fatalf("restarted replica executed to height %d, others to %d", h, top)
			}
			if mode == ModePompe {
				checkPompeOrder(t, victim)
			}
			t.Logf("victim restored at height %d, now at %d; others at %d; %d commands", restoredAt, victim.exec.Height(), c.nodes[0].exec.Height(), len(want))
			if restoredAt == 0 {
				t.Fatal("the restarted replica restored no execution snapshot: restore went untested")
			}
			if !slices.Equal(victim.log, c.nodes[0].log) {
				t.Fatal("restarted replica's log differs")
			}
		})
	}
}

// TestBaselineResendsExecuted: a client that submits an executed batch
// again gets its Executed reply again, from every replica's reply cache.
func TestBaselineResendsExecuted(t *testing.T) {
	c := newTestCluster(t, ModeBaseline, 4)
	k := c.newClient(1)
	want := k.submit(2)
	c.runUntil(5_000_000, "executed", c.allExecuted(want))
	c.runUntil(1_000_000, "replies", k.allDone)
	p := k.all[0]
	k.broadcast(&wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{Batch: p.raw}}})
	c.deliverAll()
	for i := range c.nodes {
		if got := k.executedFrom[p.d][uint32(i)]; got < 2 {
			t.Fatalf("replica %d sent %d Executed replies for the resubmitted batch, want a repeat", i, got)
		}
	}
	if len(c.nodes[0].log) != 2 {
		t.Fatal("the resubmitted batch executed again")
	}
}

func TestNewAndStepErrors(t *testing.T) {
	c := newTestCluster(t, ModeBaseline, 4)
	base := c.config(c.nodes[0])
	cases := []struct {
		name string
		cfg  func(Config) Config
		want string
	}{
		{"no committee", func(cfg Config) Config { cfg.Committee = nil; return cfg }, "committee and key"},
		{"no key", func(cfg Config) Config { cfg.Key = crypto.PrivateKey{}; return cfg }, "committee and key"},
		{"unknown mode", func(cfg Config) Config { cfg.Mode = "paxos"; return cfg }, "not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg(base), storage.NewMem())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}

	r := c.nodes[0].r
	ts := &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{}}}
	if err := r.StepClient(c.now, crypto.ClientID{1}, ts); err == nil {
		t.Fatal("baseline replica accepted a timestamp request")
	}
	pc := newTestCluster(t, ModePompe, 4)
	sub := &wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{}}}
	if err := pc.nodes[0].r.StepClient(pc.now, crypto.ClientID{1}, sub); err == nil {
		t.Fatal("Pompe replica accepted a baseline submit")
	}
	if rd := pc.nodes[1].r.Ready(); !rd.Empty() {
		t.Fatalf("idle replica has effects: %+v", rd)
	}
}
