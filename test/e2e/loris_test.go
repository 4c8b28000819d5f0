//go:build linux

package e2e

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/internal/wire"
)

// lorisConns is how many silent connections the slow-loris opens: more
// than a replica's pending-handshake slots (shared by its peer and client
// listeners), so that it holds every one of them.
const lorisConns = transport.DefaultMaxPendingHandshakes + 44

// TestSlowLoris opens TCP connections to a replica's client port that never
// start TLS. The replica keeps serving the clients it has, and the cluster
// keeps executing.
func TestSlowLoris(t *testing.T) {
	c := newCluster(t, config.ModePompe, nil)
	c.startAll()
	execute(t, c, 2)

	// A client connected before the attack, talking to the target alone.
	key := newKey(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, err := transport.DialReplica(ctx, c.clientAddr(target), key, c.replicaKey(t, target), transport.ClientDialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	nonce := uint64(0)
	servedByTarget := func() {
		t.Helper()
		nonce++
		raw := wire.Marshal(&wire.Batch{Submitter: clientID(key), Nonce: nonce, Commands: []*wire.Command{command(key, nonce)}})
		if err := conn.Send(&wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: raw}}}); err != nil {
			t.Fatal(err)
		}
		for {
			m, err := conn.Recv(ctx)
			if err != nil {
				c.requireAlive(target)
				t.Fatalf("the target stopped serving a connected client: %v", err)
			}
			if m.GetTimestampReply() != nil {
				return
			}
		}
	}
	servedByTarget()

	var loris []net.Conn
	defer func() {
		for _, lc := range loris {
			lc.Close()
		}
	}()
	for range lorisConns {
		lc, err := net.DialTimeout("tcp", c.clientAddr(target), 5*time.Second)
		if err != nil {
			t.Logf("the target refused TCP connection %d of the slow-loris: %v", len(loris), err)
			break
		}
		loris = append(loris, lc)
	}
	t.Logf("%d silent connections open", len(loris))

	for range 3 {
		servedByTarget()
		c.requireAlive(target)
		execute(t, c, 2)
	}
	c.lorisNewcomers(t)

	// The silent connections are cut off after the handshake timeout, and
	// the target accepts new clients again.
	c.eventually("a new client completes its handshake with the target", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		nc, err := transport.DialRawClient(ctx, c.clientAddr(target), newKey(t), c.replicaKey(t, target))
		if err != nil {
			return false
		}
		nc.Close()
		return true
	})
	servedByTarget()
	c.stopAll()
	c.requireCleanLogs()
}

// lorisNewcomers reports whether a new client can complete a handshake
// with the target while the slow-loris holds its pending-handshake slots.
func (c *cluster) lorisNewcomers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	nc, err := transport.DialRawClient(ctx, c.clientAddr(target), newKey(t), c.replicaKey(t, target))
	if err != nil {
		t.Logf("a new client cannot connect to the target during the slow-loris: %v", err)
	} else {
		nc.Close()
		t.Log("a new client connected to the target during the slow-loris")
	}
	// The peer listener shares the pending-handshake slots.
	pc, err := transport.DialRawPeer(ctx, c.peerAddr(target), newKey(t), c.replicaKey(t, target))
	if err != nil {
		t.Logf("the peer port during the slow-loris: %v", err)
		return
	}
	pc.Close()
}
