package transport

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

func newClientKey(t testing.TB) crypto.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func dialClient(t testing.TB, c *cluster, replica int, key crypto.PrivateKey) *ClientConn {
	t.Helper()
	cc, err := DialReplica(testCtx(t), c.ts[replica].ClientAddr().String(), key,
		c.committee.PublicKey(uint32(replica)), ClientDialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

func recvReply(t testing.TB, cc *ClientConn) *wire.ClientMessage {
	t.Helper()
	m, err := cc.Recv(testCtx(t))
	if err != nil {
		t.Fatalf("client receive: %v", err)
	}
	return m
}

func TestClientIdentifiedByKeyAndGetsReplies(t *testing.T) {
	c := newCluster(t, 1, 1, nil)
	tr := c.ts[0]
	key := newClientKey(t)
	want := crypto.ClientIDOf(key.Public())
	cc := dialClient(t, c, 0, key)
	if cc.ID() != want {
		t.Fatalf("connection id %s, want %s", cc.ID(), want)
	}
	if err := cc.Send(timestampRequest("a")); err != nil {
		t.Fatal(err)
	}
	in := recvClient(t, tr.ClientInbound())
	if in.Client != want || string(in.Msg.GetTimestampRequest().GetBatch()) != "a" {
		t.Fatalf("got %v from %s", in.Msg, in.Client)
	}
	reply := &wire.ClientMessage{Body: &wire.ClientMessage_SequenceAck{SequenceAck: &wire.SequenceAck{Ts: 42}}}
	if !tr.SendClient(want, reply) {
		t.Fatal("SendClient refused a connected client")
	}
	if got := recvReply(t, cc); got.GetSequenceAck().GetTs() != 42 {
		t.Fatalf("reply %v", got)
	}
	if tr.SendClient(crypto.ClientID{1}, reply) {
		t.Fatal("SendClient accepted an unknown client")
	}

	// A second connection of the same client becomes the reply path.
	cc2 := dialClient(t, c, 0, key)
	if err := cc2.Send(timestampRequest("b")); err != nil {
		t.Fatal(err)
	}
	if in := recvClient(t, tr.ClientInbound()); in.Client != want {
		t.Fatalf("second connection named %s", in.Client)
	}
	reply.GetSequenceAck().Ts = 43
	tr.SendClient(want, reply)
	if got := recvReply(t, cc2); got.GetSequenceAck().GetTs() != 43 {
		t.Fatalf("newest connection got %v", got)
	}
}

func TestClientRefusesWrongReplicaKey(t *testing.T) {
	c := newCluster(t, 4, 1, nil)
	_, err := DialReplica(testCtx(t), c.ts[0].ClientAddr().String(), newClientKey(t),
		c.committee.PublicKey(1), ClientDialOptions{})
	if err == nil {
		t.Fatal("client accepted a replica with the wrong key")
	}
}

func TestClientConnectionLimits(t *testing.T) {
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) {
		cfg.MaxClients = 2
		cfg.MaxConnsPerClient = 1
	})
	tr := c.ts[0]
	key := newClientKey(t)
	first := dialClient(t, c, 0, key)
	if err := first.Send(timestampRequest("1")); err != nil {
		t.Fatal(err)
	}
	recvClient(t, tr.ClientInbound())
	second := dialClient(t, c, 0, key) // evicts first
	if err := second.Send(timestampRequest("2")); err != nil {
		t.Fatal(err)
	}
	recvClient(t, tr.ClientInbound())
	if _, err := first.Recv(testCtx(t)); err == nil {
		t.Fatal("evicted connection still open")
	}
	eventually(t, "the evicted connection is released", func() bool { return tr.Stats().ClientConns == 1 })

	other := dialClient(t, c, 0, newClientKey(t))
	if err := other.Send(timestampRequest("3")); err != nil {
		t.Fatal(err)
	}
	recvClient(t, tr.ClientInbound())
	// Both slots are taken: a third client is turned away.
	third, err := DialReplica(testCtx(t), tr.ClientAddr().String(), newClientKey(t),
		c.committee.PublicKey(0), ClientDialOptions{})
	if err == nil {
		defer third.Close()
		if _, err := third.Recv(testCtx(t)); err == nil {
			t.Fatal("client over the limit was served")
		}
	}
	if tr.Stats().RefusedConns == 0 {
		t.Fatal("refusal not counted")
	}
}

func TestClientConnSendQueueBoundAndClose(t *testing.T) {
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) { cfg.ClientInboundQueue = 1 })
	cc, err := DialReplica(testCtx(t), c.ts[0].ClientAddr().String(), newClientKey(t),
		c.committee.PublicKey(0), ClientDialOptions{SendQueueFrames: 4})
	if err != nil {
		t.Fatal(err)
	}
	big := timestampRequest(string(make([]byte, 256<<10)))
	full := false
	for range 400 {
		if err := cc.Send(big); errors.Is(err, ErrQueueFull) {
			full = true
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if !full {
		t.Fatal("send queue never filled against a replica that does not read")
	}
	cc.Close()
	if err := cc.Send(big); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	if _, err := cc.Recv(testCtx(t)); !errors.Is(err, ErrClosed) {
		t.Fatalf("recv after close: %v", err)
	}
	select {
	case <-cc.Done():
	case <-time.After(waitTimeout):
		t.Fatal("Done not closed")
	}
}

// TestClientAllowlist: with AdmitClient set (the genesis client allowlist),
// a listed client connects and is heard, and an unlisted key fails at the
// handshake: nothing it sends reaches the replica, and its connection ends
// with an error that names the allowlist.
func TestClientAllowlist(t *testing.T) {
	listed, unlisted := newClientKey(t), newClientKey(t)
	allowed := crypto.ClientIDOf(listed.Public())
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) {
		cfg.AdmitClient = func(id crypto.ClientID) bool { return id == allowed }
	})
	tr := c.ts[0]

	bad := dialClient(t, c, 0, unlisted)
	_ = bad.Send(timestampRequest("refused"))
	if _, err := bad.Recv(testCtx(t)); err == nil || !strings.Contains(err.Error(), "allowlist") {
		t.Fatalf("unlisted client's connection ended with %v, want an error naming the allowlist", err)
	}

	good := dialClient(t, c, 0, listed)
	if err := good.Send(timestampRequest("admitted")); err != nil {
		t.Fatal(err)
	}
	in := recvClient(t, tr.ClientInbound())
	if in.Client != allowed || string(in.Msg.GetTimestampRequest().GetBatch()) != "admitted" {
		t.Fatalf("got %q from %s, want the listed client's request only", in.Msg.GetTimestampRequest().GetBatch(), in.Client)
	}
}
