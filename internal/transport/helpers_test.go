package transport

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// waitTimeout only keeps a broken test from hanging; nothing asserts on it.
const waitTimeout = 15 * time.Second

func testKeys(t testing.TB, n int) ([]crypto.PrivateKey, *crypto.Committee) {
	t.Helper()
	keys := make([]crypto.PrivateKey, n)
	pubs := make([]crypto.PublicKey, n)
	for i := range keys {
		k, err := crypto.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		keys[i], pubs[i] = k, k.Public()
	}
	c, err := crypto.NewCommittee([]byte("transport-test"), pubs)
	if err != nil {
		t.Fatal(err)
	}
	return keys, c
}

// freeAddr finds a free port on ip. Another process could take it before
// it is used; on loopback in tests that risk is accepted.
func freeAddr(t testing.TB, ip string) string {
	t.Helper()
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("TRANSPORT_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level}))
}

type cluster struct {
	keys      []crypto.PrivateKey
	committee *crypto.Committee
	addrs     []string
	ts        []*Transport
}

// newCluster makes a committee of n and starts transports for replicas
// 0..run-1; edit adjusts each config.
func newCluster(t testing.TB, n, run int, edit func(i int, c *Config)) *cluster {
	t.Helper()
	keys, committee := testKeys(t, n)
	c := &cluster{keys: keys, committee: committee, ts: make([]*Transport, n)}
	for i := range n {
		c.addrs = append(c.addrs, freeAddr(t, fmt.Sprintf("127.0.0.%d", 11+i)))
	}
	for i := range run {
		c.start(t, i, edit)
	}
	return c
}

func (c *cluster) config(t testing.TB, i int) Config {
	return Config{
		Self:           uint32(i),
		Key:            c.keys[i],
		Committee:      c.committee,
		PeerAddrs:      c.addrs,
		ListenClient:   fmt.Sprintf("127.0.0.%d:0", 11+i),
		DialBackoffMin: 5 * time.Millisecond,
		DialBackoffMax: 100 * time.Millisecond,
		Logger:         testLogger(t).With("test", t.Name()),
	}
}

func (c *cluster) start(t testing.TB, i int, edit func(i int, c *Config)) *Transport {
	t.Helper()
	cfg := c.config(t, i)
	if edit != nil {
		edit(i, &cfg)
	}
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	c.ts[i] = tr
	t.Cleanup(func() { tr.Close() })
	return tr
}

func vote(from uint32, view uint64) *wire.Message {
	return &wire.Message{Body: &wire.Message_Vote{Vote: &wire.Vote{View: view, Voter: from}}}
}

func viewOf(m *wire.Message) uint64 { return m.GetVote().GetView() }

// recvWhere waits for a message accepted by keep, discarding others.
func recvWhere(t testing.TB, ch <-chan Inbound, keep func(Inbound) bool) Inbound {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case in, ok := <-ch:
			if !ok {
				t.Fatal("inbound channel closed")
			}
			if keep(in) {
				return in
			}
		case <-deadline:
			t.Fatal("timed out waiting for a message")
		}
	}
}

func recvClient(t testing.TB, ch <-chan ClientInbound) ClientInbound {
	t.Helper()
	select {
	case in := <-ch:
		return in
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for a client message")
	}
	panic("unreachable")
}

// eventually polls cond until it holds.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func timestampRequest(b string) *wire.ClientMessage {
	return &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{
		TimestampRequest: &wire.TimestampRequest{Batch: []byte(b)}}}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}
