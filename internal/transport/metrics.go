package transport

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// collector exports the transport's counters at scrape time, so the hot
// path only touches atomics.
type collector struct {
	t *Transport

	framesSent, bytesSent, framesReceived, bytesReceived *prometheus.Desc
	dropped, reconnects, connErrors, queuedFrames        *prometheus.Desc
	linkUp, clientConns, handshakeFailures, refused      *prometheus.Desc
	closed, inboundBytes, genesisMismatches, queuedBytes *prometheus.Desc
}

func newCollector(t *Transport) *collector {
	constLabels := prometheus.Labels{"replica": strconv.FormatUint(uint64(t.cfg.Self), 10)}
	link := []string{"peer"}
	desc := func(name, help string, labels []string) *prometheus.Desc {
		return prometheus.NewDesc("pompe_transport_"+name, help, labels, constLabels)
	}
	return &collector{
		t:                 t,
		framesSent:        desc("frames_sent_total", "Frames written, per link (peer id or \"clients\").", link),
		bytesSent:         desc("bytes_sent_total", "Frame bytes written, per link.", link),
		framesReceived:    desc("frames_received_total", "Frames read, per link.", link),
		bytesReceived:     desc("bytes_received_total", "Frame bytes read, per link.", link),
		dropped:           desc("dropped_frames_total", "Frames dropped before sending, per link and reason.", []string{"peer", "reason"}),
		reconnects:        desc("reconnects_total", "Outbound connections made after the first, per peer.", link),
		connErrors:        desc("connection_errors_total", "Failed dials and connections ended by an error, per link.", link),
		queuedFrames:      desc("queued_frames", "Frames waiting in a peer's send queue.", link),
		linkUp:            desc("outbound_up", "1 when the outbound connection to a peer is established.", link),
		clientConns:       desc("client_connections", "Open client connections.", nil),
		handshakeFailures: desc("handshake_failures_total", "Refused or failed TLS handshakes.", nil),
		refused:           desc("refused_connections_total", "Connections closed at once because a limit was reached, by reason.", []string{"reason"}),
		closed:            desc("closed_connections_total", "Established connections the replica closed, by reason (idle, frame_timeout, slow_client, bad_proofs).", []string{"reason"}),
		queuedBytes:       desc("client_queued_bytes", "Bytes queued to all clients together (bounded; a client with a backlog at the bound is disconnected as slow).", nil),
		genesisMismatches: desc("genesis_mismatches_total", "Peer handshakes refused (by either side) because the replicas run different genesis.", nil),
		inboundBytes:      desc("inbound_bytes", "Bytes of received messages not yet handled (kind peer, client) and budget reserved by frames being read (peer_frames, client_frames).", []string{"kind"}),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.framesSent, c.bytesSent, c.framesReceived, c.bytesReceived, c.dropped, c.reconnects,
		c.connErrors, c.queuedFrames, c.linkUp, c.clientConns, c.handshakeFailures, c.refused, c.closed, c.inboundBytes, c.genesisMismatches, c.queuedBytes,
	} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.t.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	emitLink := func(name string, l LinkStats) {
		counter(c.framesSent, l.FramesSent, name)
		counter(c.bytesSent, l.BytesSent, name)
		counter(c.framesReceived, l.FramesReceived, name)
		counter(c.bytesReceived, l.BytesReceived, name)
		counter(c.dropped, l.DroppedQueueFull, name, "queue_full")
		counter(c.dropped, l.DroppedEmulated, name, "emulated")
		counter(c.dropped, l.DroppedOther, name, "other")
		counter(c.connErrors, l.ConnErrors, name)
	}
	for i, p := range s.Peers {
		name := strconv.Itoa(i)
		emitLink(name, p.LinkStats)
		counter(c.reconnects, p.Reconnects, name)
		gauge(c.queuedFrames, float64(p.QueuedFrames), name)
		if uint32(i) == c.t.cfg.Self {
			// No connection to itself: a 0 would read as a link down.
			continue
		}
		up := 0.0
		if p.OutboundUp {
			up = 1
		}
		gauge(c.linkUp, up, name)
	}
	emitLink("clients", s.Clients)
	gauge(c.clientConns, float64(s.ClientConns))
	counter(c.handshakeFailures, s.HandshakeFailures)
	counter(c.genesisMismatches, s.GenesisMismatches)
	for reason, n := range s.RefusedBy {
		counter(c.refused, n, reason)
	}
	for reason, n := range s.ClosedBy {
		counter(c.closed, n, reason)
	}
	gauge(c.inboundBytes, float64(s.PeerInboundBytes), "peer")
	gauge(c.inboundBytes, float64(s.ClientInboundBytes), "client")
	gauge(c.inboundBytes, float64(s.PeerFrameBytes), "peer_frames")
	gauge(c.inboundBytes, float64(s.ClientFrameBytes), "client_frames")
	gauge(c.queuedBytes, float64(s.ClientQueuedBytes))
}
