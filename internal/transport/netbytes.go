package transport

import (
	"net"
	"sync/atomic"
)

// NetBytes counts the bytes a replica's sockets wrote and read, TLS records
// and handshakes included, so they are what the network carried rather than
// frame payloads. Peer covers the replica mesh in both directions; Client
// covers the client listener.
type NetBytes struct {
	PeerSent       uint64
	PeerReceived   uint64
	ClientSent     uint64
	ClientReceived uint64
}

// socketCounters are the totals behind NetBytes for one kind of socket.
type socketCounters struct {
	sent     atomic.Uint64
	received atomic.Uint64
}

// countingConn adds every Write and Read on a raw socket to its kind's
// totals. TLS writes one record per Write and reads into a buffer, so this is
// one atomic add per record or read call, never per byte.
type countingConn struct {
	net.Conn
	c *socketCounters
}

func (cc countingConn) Write(b []byte) (int, error) {
	n, err := cc.Conn.Write(b)
	cc.c.sent.Add(uint64(n))
	return n, err
}

func (cc countingConn) Read(b []byte) (int, error) {
	n, err := cc.Conn.Read(b)
	cc.c.received.Add(uint64(n))
	return n, err
}

func countBytes(raw net.Conn, c *socketCounters) net.Conn {
	return countingConn{Conn: raw, c: c}
}

// NetBytes returns the socket byte totals since the transport was built.
func (t *Transport) NetBytes() NetBytes {
	return NetBytes{
		PeerSent:       t.peerSockets.sent.Load(),
		PeerReceived:   t.peerSockets.received.Load(),
		ClientSent:     t.clientSockets.sent.Load(),
		ClientReceived: t.clientSockets.received.Load(),
	}
}
