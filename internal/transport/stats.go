package transport

import (
	"sync/atomic"
)

// linkCounters count the traffic of one link (or of all client links).
type linkCounters struct {
	framesSent       atomic.Uint64
	bytesSent        atomic.Uint64
	framesReceived   atomic.Uint64
	bytesReceived    atomic.Uint64
	droppedQueueFull atomic.Uint64
	droppedEmulated  atomic.Uint64
	droppedOther     atomic.Uint64
	reconnects       atomic.Uint64
	connErrors       atomic.Uint64
}

// LinkStats is a snapshot of linkCounters.
type LinkStats struct {
	FramesSent       uint64
	BytesSent        uint64
	FramesReceived   uint64
	BytesReceived    uint64
	DroppedQueueFull uint64 // the link's send queue was full
	DroppedEmulated  uint64 // lost or partitioned by the link emulator
	DroppedOther     uint64 // unknown destination, too large to send, transport closed
	Reconnects       uint64 // outbound connections made after the first
	ConnErrors       uint64 // failed dials and connections that ended in an error
}

func (c *linkCounters) snapshot() LinkStats {
	return LinkStats{
		FramesSent:       c.framesSent.Load(),
		BytesSent:        c.bytesSent.Load(),
		FramesReceived:   c.framesReceived.Load(),
		BytesReceived:    c.bytesReceived.Load(),
		DroppedQueueFull: c.droppedQueueFull.Load(),
		DroppedEmulated:  c.droppedEmulated.Load(),
		DroppedOther:     c.droppedOther.Load(),
		Reconnects:       c.reconnects.Load(),
		ConnErrors:       c.connErrors.Load(),
	}
}

// PeerStats describes the links with one replica. For Self, the counters
// are local deliveries.
type PeerStats struct {
	LinkStats
	OutboundUp   bool // the outbound connection is established
	InboundUp    bool // the replica is connected to us
	QueuedFrames int
	QueuedBytes  int
}

// Stats is a snapshot of a Transport's counters.
type Stats struct {
	Peers       []PeerStats // index = replica id
	Clients     LinkStats   // all client connections together
	ClientConns int         // open client connections, handshaking ones included
	// HandshakeFailures counts refused or failed TLS handshakes on both
	// listeners; RefusedConns counts connections closed at once because a
	// connection limit was reached.
	HandshakeFailures uint64
	RefusedConns      uint64
	// GenesisMismatches counts peer handshakes refused, on either side,
	// because the two replicas run different genesis.
	GenesisMismatches uint64
	// RefusedBy and ClosedBy split refused connections and connections
	// the transport closed (idle, frame timeout, slow client, bad proofs) by
	// reason, named as in the metrics' reason label.
	RefusedBy map[string]uint64
	ClosedBy  map[string]uint64
	// Inbound bytes received but not yet released by the consumer, and
	// buffers of frames being read.
	PeerInboundBytes   int
	ClientInboundBytes int
	PeerFrameBytes     int
	ClientFrameBytes   int
	// ClientQueuedBytes are the bytes queued to all clients together.
	ClientQueuedBytes int64
}

// Stats returns a snapshot of the counters.
func (t *Transport) Stats() Stats {
	s := Stats{
		Peers:              make([]PeerStats, len(t.peerCounters)),
		Clients:            t.clientCounters.snapshot(),
		HandshakeFailures:  t.handshakeFailures.Load(),
		GenesisMismatches:  t.genesisMismatches.Load(),
		RefusedBy:          make(map[string]uint64, numRefuseReasons),
		ClosedBy:           make(map[string]uint64, numCloseReasons),
		PeerInboundBytes:   t.peerBudget.held(),
		ClientInboundBytes: t.clientBudget.held(),
		PeerFrameBytes:     t.peerReading.held(),
		ClientFrameBytes:   t.clientReading.held(),
		ClientQueuedBytes:  t.clientSendBytes.Load(),
	}
	for r := range numRefuseReasons {
		n := t.refused[r].Load()
		s.RefusedBy[r.String()] = n
		s.RefusedConns += n
	}
	for r := range numCloseReasons {
		s.ClosedBy[r.String()] = t.closedConns[r].Load()
	}
	for i := range t.peerCounters {
		s.Peers[i].LinkStats = t.peerCounters[i].snapshot()
		var q *sendQueue
		if uint32(i) == t.cfg.Self {
			q = t.selfQueue
		} else {
			l := t.links[i]
			q = l.queue
			s.Peers[i].OutboundUp = l.up.Load()
		}
		s.Peers[i].QueuedFrames, s.Peers[i].QueuedBytes = q.size()
	}
	t.mu.Lock()
	for i := range s.Peers {
		_, s.Peers[i].InboundUp = t.inboundPeers[uint32(i)]
	}
	s.ClientConns = t.clientSlots
	t.mu.Unlock()
	return s
}
