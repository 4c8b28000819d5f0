package transport

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

const smallFrameBytes = 1024

func header(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

// expectClosedByServer reads until the server ends the connection.
func expectClosedByServer(t *testing.T, conn *tls.Conn) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(waitTimeout))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("server kept the connection open")
	}
}

func TestMalformedFramesCloseOnlyThatConnection(t *testing.T) {
	// Replica 2 is in the committee but not running: the test speaks for it.
	c := newCluster(t, 4, 2, func(_ int, cfg *Config) {
		cfg.MaxFrameBytes = smallFrameBytes
		cfg.ClientMaxFrameBytes = smallFrameBytes
	})
	tr := c.ts[0]
	good := newClientKey(t)
	goodClient := dialClient(t, c, 0, good)

	bad := []struct {
		name  string
		bytes []byte
		half  bool // then close the write side mid-frame
	}{
		{"oversized", header(smallFrameBytes + 1), false},
		{"huge length", header(^uint32(0)), false},
		{"truncated", append(header(100), make([]byte, 10)...), true},
		{"garbage", append(header(8), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), false},
		{"no body", header(0), false},
	}
	for _, side := range []string{"peer", "client"} {
		for _, b := range bad {
			t.Run(side+"/"+b.name, func(t *testing.T) {
				var conn *tls.Conn
				var err error
				var valid []byte
				if side == "peer" {
					conn, err = DialRawPeer(testCtx(t), tr.PeerAddr().String(), c.keys[2], c.committee.PublicKey(0))
					valid, _ = wire.AppendFrame(nil, vote(2, 1))
				} else {
					conn, err = DialRawClient(testCtx(t), tr.ClientAddr().String(), newClientKey(t), c.committee.PublicKey(0))
					valid, _ = wire.AppendFrame(nil, timestampRequest("raw"))
				}
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				// A valid frame first: the connection was accepted and served.
				if _, err := conn.Write(valid); err != nil {
					t.Fatal(err)
				}
				if side == "peer" {
					recvWhere(t, tr.Inbound(), func(in Inbound) bool { return in.From == 2 })
				} else {
					recvClient(t, tr.ClientInbound())
				}
				if _, err := conn.Write(b.bytes); err != nil {
					t.Fatal(err)
				}
				if b.half {
					conn.CloseWrite()
				}
				expectClosedByServer(t, conn)

				// Everyone else is still served.
				c.ts[1].Send(0, vote(1, 9))
				recvWhere(t, tr.Inbound(), func(in Inbound) bool { return in.From == 1 && viewOf(in.Msg) == 9 })
				if err := goodClient.Send(timestampRequest("still here")); err != nil {
					t.Fatal(err)
				}
				if in := recvClient(t, tr.ClientInbound()); in.Client != goodClient.ID() {
					t.Fatalf("unexpected client %s", in.Client)
				}
			})
		}
	}
	if s := tr.Stats(); s.Peers[2].ConnErrors == 0 || s.Clients.ConnErrors == 0 {
		t.Errorf("connection errors not counted: peer %+v clients %+v", s.Peers[2], s.Clients)
	}
}

func TestOutsiderPeerIsRefused(t *testing.T) {
	c := newCluster(t, 4, 2, nil)
	tr := c.ts[0]
	outsider := newClientKey(t)

	// Raw: the handshake is refused and nothing is delivered.
	conn, err := DialRawPeer(testCtx(t), tr.PeerAddr().String(), outsider, c.committee.PublicKey(0))
	if err == nil {
		// In TLS 1.3 the server's refusal of a client certificate arrives
		// after the client considers the handshake done.
		frame, _ := wire.AppendFrame(nil, vote(1, 666))
		conn.Write(frame)
		expectClosedByServer(t, conn)
		conn.Close()
	}

	// A whole transport whose committee lists the outsider in replica 1's
	// place: it dials replica 0, which refuses it.
	rogueCommittee, err := crypto.NewCommittee([]byte("transport-test"),
		[]crypto.PublicKey{c.committee.PublicKey(0), outsider.Public(), c.committee.PublicKey(2), c.committee.PublicKey(3)})
	if err != nil {
		t.Fatal(err)
	}
	rogue, err := New(Config{
		Self: 1, Key: outsider, Committee: rogueCommittee,
		PeerAddrs:      []string{c.addrs[0], freeAddr(t, "127.0.0.99"), c.addrs[2], c.addrs[3]},
		DialBackoffMin: 5 * time.Millisecond, DialBackoffMax: 50 * time.Millisecond,
		Logger: testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rogue.Start(); err != nil {
		t.Fatal(err)
	}
	defer rogue.Close()
	rogue.Send(0, vote(1, 667))
	eventually(t, "two handshakes are refused", func() bool { return tr.Stats().HandshakeFailures >= 2 })

	// A client key on the peer port, with the client protocol, is refused
	// as well.
	if conn, err := DialRawClient(testCtx(t), tr.PeerAddr().String(), c.keys[1], c.committee.PublicKey(0)); err == nil {
		expectClosedByServer(t, conn)
		conn.Close()
	}

	// The real replica 1 still gets through, and is the first thing
	// delivered: nothing from the outsiders was.
	c.ts[1].Send(0, vote(1, 1))
	in := recvWhere(t, tr.Inbound(), func(Inbound) bool { return true })
	if in.From != 1 || viewOf(in.Msg) != 1 {
		t.Fatalf("delivered %v from %d", in.Msg, in.From)
	}
}

func TestDialerRefusesWrongServerKey(t *testing.T) {
	c := newCluster(t, 4, 1, nil)
	_, err := DialRawPeer(testCtx(t), c.ts[0].PeerAddr().String(), c.keys[1], c.committee.PublicKey(1))
	if err == nil {
		t.Fatal("dialer accepted a server with the wrong key")
	}
}

func TestSlowHandshakeIsCutOff(t *testing.T) {
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) { cfg.HandshakeTimeout = 100 * time.Millisecond })
	raw, err := net.Dial("tcp", c.ts[0].ClientAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// Say nothing; the replica must hang up on its own.
	raw.SetReadDeadline(time.Now().Add(waitTimeout))
	_, err = io.Copy(io.Discard, raw)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("silent connection was never closed")
	}
	eventually(t, "the failure is counted", func() bool { return c.ts[0].Stats().HandshakeFailures == 1 })
}

func TestReplacedInboundConnection(t *testing.T) {
	c := newCluster(t, 4, 1, nil)
	tr := c.ts[0]
	dial := func() *tls.Conn {
		conn, err := DialRawPeer(testCtx(t), tr.PeerAddr().String(), c.keys[2], c.committee.PublicKey(0))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	send := func(conn *tls.Conn, view uint64) {
		frame, _ := wire.AppendFrame(nil, vote(2, view))
		if _, err := conn.Write(frame); err != nil {
			t.Fatal(err)
		}
		recvWhere(t, tr.Inbound(), func(in Inbound) bool { return in.From == 2 && viewOf(in.Msg) == view })
	}
	old := dial()
	send(old, 1)
	newer := dial()
	send(newer, 2)
	expectClosedByServer(t, old)
	send(newer, 3)
}
