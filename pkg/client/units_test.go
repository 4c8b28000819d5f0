package client

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/wire"
)

func TestConfigValidate(t *testing.T) {
	key := newKey(t)
	good := func() Config {
		cfg := Config{Cluster: []byte("c"), Key: key, Mode: config.ModePompe}
		for i := range 4 {
			cfg.Replicas = append(cfg.Replicas, Replica{ID: uint32(i), ClientAddr: "127.0.0.1:1", PublicKey: newKey(t).Public()})
		}
		return cfg
	}
	cases := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"good", func(*Config) {}, ""},
		{"no replicas", func(c *Config) { c.Replicas = nil }, "no replicas"},
		{"ids out of order", func(c *Config) { c.Replicas[1].ID = 3 }, "id order"},
		{"no address", func(c *Config) { c.Replicas[2].ClientAddr = "" }, "no client address"},
		{"no key", func(c *Config) { c.Key = crypto.PrivateKey{} }, "no key"},
		{"bad mode", func(c *Config) { c.Mode = "paxos" }, "mode"},
		{"huge batch", func(c *Config) { c.BatchMaxCommands = 1 << 20 }, "exceeds"},
		{"pending below batch", func(c *Config) { c.BatchMaxCommands, c.MaxPending = 8, 4 }, "max pending"},
		{"back-off inverted", func(c *Config) { c.BackoffMin, c.BackoffMax = time.Second, time.Millisecond }, "back-off"},
		{"two record sinks", func(c *Config) {
			c.Records, c.RecordsTo = runlog.NewClientRecordWriter(&bytes.Buffer{}), &bytes.Buffer{}
		}, "not both"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good()
			tc.change(&cfg)
			err := cfg.withDefaults().validate()
			if err == nil {
				_, err = cfg.committee()
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestFromGenesis(t *testing.T) {
	g := &config.Genesis{ClusterID: "c1", Mode: config.ModeHotStuff}
	for i := range 4 {
		g.Replicas = append(g.Replicas, config.ReplicaInfo{Index: i, PublicKey: crypto.EncodeKey(newKey(t).Public()),
			PeerAddress: "127.0.0.1:" + string(rune('1'+i)) + "000", ClientAddress: "127.0.0.1:" + string(rune('1'+i)) + "001"})
	}
	cfg, err := FromGenesis(g, newKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.Cluster) != "c1" || cfg.Mode != config.ModeHotStuff || len(cfg.Replicas) != 4 || cfg.Replicas[2].ClientAddr != "127.0.0.1:3001" {
		t.Fatalf("config %+v", cfg)
	}
	if err := cfg.withDefaults().validate(); err != nil {
		t.Fatal(err)
	}
	g.Replicas[1].PublicKey = "not base64!"
	if _, err := FromGenesis(g, newKey(t)); err == nil {
		t.Fatal("bad genesis accepted")
	}
}

func testFlight(seqs ...uint64) *flight {
	var cmds []*command
	for _, s := range seqs {
		cmds = append(cmds, &command{seq: s, payload: []byte{byte(s)}})
	}
	return newFlight(cmds, 1, crypto.ClientID{})
}

func TestCheckExecuted(t *testing.T) {
	fl := testFlight(5, 6, 7)
	res := func(seqs ...uint64) []*wire.CommandResult {
		var out []*wire.CommandResult
		for _, s := range seqs {
			out = append(out, &wire.CommandResult{Seq: s, Result: []byte{byte(s)}})
		}
		return out
	}
	cases := []struct {
		name    string
		results []*wire.CommandResult
		ok      bool
	}{
		{"in order", res(5, 6, 7), true},
		{"any order", res(7, 5, 6), true},
		{"too few", res(5, 6), false},
		{"too many", res(5, 6, 7, 8), false},
		{"unknown seq", res(5, 6, 9), false},
		{"repeated seq", res(5, 5, 7), false},
		{"nil result", []*wire.CommandResult{nil, res(6)[0], res(7)[0]}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkExecuted(fl, &wire.Executed{Height: 1, Results: tc.results})
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
		})
	}
	k1, _ := checkExecuted(fl, &wire.Executed{Height: 1, Results: res(5, 6, 7)})
	k2, _ := checkExecuted(fl, &wire.Executed{Height: 1, Results: res(7, 6, 5)})
	k3, _ := checkExecuted(fl, &wire.Executed{Height: 2, Results: res(5, 6, 7)})
	if k1 != k2 || k1 == k3 {
		t.Fatal("report keys must ignore result order and depend on placement")
	}
}

// TestExecVotesNeverAcceptAMinority: with at most f lying replicas sending
// arbitrary reports (repeatedly, in any order), every report that reaches
// f+1 votes is the one the correct replicas sent.
func TestExecVotesNeverAcceptAMinority(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := rapid.IntRange(1, 4).Draw(t, "f")
		n := 3*f + 1
		truth := execKey{1}
		var v execVotes
		steps := rapid.IntRange(1, 200).Draw(t, "steps")
		for range steps {
			replica := rapid.IntRange(0, n-1).Draw(t, "replica")
			key := truth
			if replica < f { // replicas 0..f-1 lie
				key = execKey{byte(rapid.IntRange(0, 9).Draw(t, "lie"))}
			}
			if vote := v.add(n, f+1, uint32(replica), key, &wire.Executed{}); vote != nil && vote.key != truth {
				t.Fatalf("accepted a report only liars sent")
			}
		}
		for _, vote := range v.votes {
			if vote.voters.Count() > 0 && vote.key != truth && vote.voters.Count() > f {
				t.Fatalf("liars gathered %d votes", vote.voters.Count())
			}
		}
		for r, c := range v.reports {
			if c > maxReportsPerReplica {
				t.Fatalf("replica %d counted %d reports", r, c)
			}
		}
	})
}

// TestOrderingWindowBoundsBatchesBeingOrdered: with an ordering window,
// a client starts a batch only while fewer than that many are in the
// ordering phase (timestamps, sequencing, back-off); sequenced batches
// awaiting execution count against Inflight alone.
func TestOrderingWindowBoundsBatchesBeingOrdered(t *testing.T) {
	fc := newFakeCluster(t, config.ModePompe, 4, nil)
	for _, tc := range []struct {
		name                 string
		window, inflight     int
		started, afterSeqOne int // flights after the first launch, and after one is sequenced
	}{
		{"no window", 0, 3, 3, 3},
		{"window of one", 1, 3, 1, 2},
		{"window of two", 2, 3, 2, 3},
		{"inflight binds first", 2, 2, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fc.config(seededClientKey(t))
			cfg.BatchMaxCommands, cfg.Inflight, cfg.OrderingWindow = 1, tc.inflight, tc.window
			e := &engine{c: engineClient(t, cfg), digests: map[batch.Digest]*attempt{}}
			now := time.Unix(1_700_000_000, 0)
			for i := range 5 {
				e.queue = append(e.queue, &command{seq: uint64(i + 1), payload: []byte("p")})
				e.queued = append(e.queued, now)
			}
			e.launch(now)
			if len(e.flights) != tc.started {
				t.Fatalf("%d batches started, want %d", len(e.flights), tc.started)
			}
			e.flights[0].setPhase(phaseSequenced, now)
			e.launch(now)
			if len(e.flights) != tc.afterSeqOne {
				t.Fatalf("%d batches after one was sequenced, want %d", len(e.flights), tc.afterSeqOne)
			}
		})
	}
}
