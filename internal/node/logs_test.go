package node

import (
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
)

// waitForLine polls buf until a line whose msg is one of msgs appears.
func waitForLine(t *testing.T, buf *syncBuffer, deadline time.Duration, msgs ...string) map[string]any {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		for _, l := range jsonLines(t, buf.String()) {
			for _, m := range msgs {
				if l["msg"] == m {
					return l
				}
			}
		}
		if time.Now().After(end) {
			t.Fatalf("no %q line within %v; log:\n%s", msgs, deadline, buf.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// addressKeys are the attributes that hold network addresses: they must be
// strings ("127.0.0.1:26656"), not structs ({"IP":..,"Port":..}).
var addressKeys = []string{"addr", "peer_addr", "client_addr", "remote"}

// A running node says what it is doing, at INFO, in JSON lines with no
// repeated key and addresses as strings: where its metrics listen, its
// first commit, the views that time out while a replica is down (with the
// reason), the catch-up of that replica when it comes back, and shutdown.
func TestNodeLogsWhatItIsDoing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 4-replica cluster")
	}
	homes, g := writeClusterWith(t, 4, config.ModeHotStuff, func(i int, c *config.Config) {
		c.Metrics.Listen = "127.0.0.1:0"
		// Round robin gives the stopped replica its turn every few views,
		// so views time out while it is down; short timeouts keep the test
		// quick.
		c.Consensus.LeaderPolicy = "round-robin"
		c.Consensus.LeaderTermViews = 1
		c.Consensus.ViewTimeout = config.Duration(150 * time.Millisecond)
		c.Consensus.ViewTimeoutMax = config.Duration(600 * time.Millisecond)
		// A short peer queue sheds what the others sent the stopped
		// replica, so that it comes back behind and must fetch blocks
		// rather than replay a backlog one view at a time.
		c.P2P.PeerQueueFrames = 8
	})
	logs := make([]*syncBuffer, 4)
	nodes := make([]*running, 4)
	start := func(i int) {
		logs[i] = &syncBuffer{}
		log := slog.New(slog.NewJSONHandler(logs[i], &slog.HandlerOptions{Level: slog.LevelInfo}))
		nodes[i] = startNodeWith(t, homes[i], Options{Logger: log})
	}
	for i := range homes {
		start(i)
	}
	var all []*syncBuffer // every log ever written, for the format checks
	all = append(all, logs...)
	defer func() {
		for _, n := range nodes {
			if n != nil {
				n.stop(t)
			}
		}
		for i, b := range all {
			checkLogFormat(t, i%4, b.String())
		}
	}()

	t0 := time.Now()
	phase := func(name string) { t.Logf("%6.1fs %s", time.Since(t0).Seconds(), name) }
	submitAll(t, g, 10)
	phase("committed")
	for i, b := range logs {
		m := waitForLine(t, b, 30*time.Second, "metrics listening")
		if addr, _ := m["addr"].(string); !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
			t.Errorf("replica %d: metrics address %v, want the bound 127.0.0.1 port", i, m["addr"])
		}
		waitForLine(t, b, 30*time.Second, "replica started")
		waitForLine(t, b, 30*time.Second, "first commit")
	}

	phase("started lines seen")
	nodes[0].stop(t)
	nodes[0] = nil
	phase("replica 0 stopped")
	waitForLine(t, logs[0], time.Second, "replica stopping")
	if m := waitForLine(t, logs[0], time.Second, "replica stopped"); m["reason"] != "shutdown requested" {
		t.Errorf("stop reason %v", m["reason"])
	}
	// The others keep committing; the views replica 0 leads time out.
	for round := 0; round < 16; round++ {
		submitAllExcept(t, g, 1, 0)
	}
	phase("committed without replica 0")
	m := waitForLine(t, logs[1], 60*time.Second, "view change", "view changes")
	t.Logf("replica 1: %v", m)

	// Replica 0 comes back behind the others and catches up.
	start(0)
	all = append(all, logs[0])
	for round := 0; round < 3; round++ {
		submitAll(t, g, 2)
	}
	phase("committed after the restart")
	// Whether the restarted replica catches up by fetching blocks, or
	// follows the others view by view (it may first see timeout
	// certificates that move it to their view, then certificates only
	// a view ahead), depends on the order its messages arrive in, which
	// a loaded machine changes. Either way it says so: catch-up lines
	// (their format is pinned by TestCatchUpIsLogged), or view changes.
	if started := pollLine(logs[0], 15*time.Second, "catch-up started"); started != nil {
		finished := waitForLine(t, logs[0], 60*time.Second, "catch-up finished")
		if started["certified_view"].(float64) <= started["view"].(float64) || finished["committed"].(float64) < started["committed"].(float64) {
			t.Errorf("catch-up from %v to %v", started, finished)
		}
		phase("caught up")
	} else {
		m := waitForLine(t, logs[0], 60*time.Second, "view change", "view changes")
		t.Logf("replica 0 followed the others without a catch-up: %v", m)
	}
}

// pollLine waits up to d for a line of b whose msg is msg; nil if none
// came.
func pollLine(b *syncBuffer, d time.Duration, msg string) map[string]any {
	for end := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		for _, line := range strings.Split(b.String(), "\n") {
			var l map[string]any
			if json.Unmarshal([]byte(line), &l) == nil && l["msg"] == msg {
				return l
			}
		}
		if time.Now().After(end) {
			return nil
		}
	}
}

// checkLogFormat: every line parses, repeats no key, names the replica
// once, and logs addresses as strings.
func checkLogFormat(t *testing.T, replica int, log string) {
	t.Helper()
	for _, l := range jsonLines(t, log) {
		if r, ok := l["replica"].(float64); !ok || int(r) != replica {
			t.Errorf("replica %d: line without its replica attribute: %v", replica, l)
		}
		for _, k := range addressKeys {
			v, ok := l[k]
			if !ok {
				continue
			}
			s, isString := v.(string)
			if !isString {
				t.Errorf("replica %d: %s logged as %T, want a string: %v", replica, k, v, l)
				continue
			}
			if s != "" {
				if _, _, err := net.SplitHostPort(s); err != nil && k != "remote" {
					t.Errorf("replica %d: %s = %q is not host:port", replica, k, s)
				}
			}
		}
	}
}
