package node

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/transport"
)

// metrics are the replica's Prometheus series.
type metrics struct {
	committedHeight prometheus.Gauge
	view            prometheus.Gauge
	leader          prometheus.Gauge
	viewChanges     prometheus.Counter
	executedCmds    prometheus.Counter
	executedBatches prometheus.Counter
	duplicateCmds   prometheus.Counter
	committedBlocks prometheus.Counter
	inboundQueue    prometheus.Gauge
	clientQueue     prometheus.Gauge
	turnInputs      prometheus.Histogram
	persistSeconds  prometheus.Histogram
	syncTurns       prometheus.Histogram
	turnSeconds     prometheus.Histogram
	commitSeconds   prometheus.Histogram
	stepErrors      *prometheus.CounterVec
	resendsRefused  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, replica int) *metrics {
	labels := prometheus.Labels{"replica": strconv.Itoa(replica)}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "pompe", Name: name, Help: help, ConstLabels: labels})
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "pompe", Name: name, Help: help, ConstLabels: labels})
	}
	hist := func(name, help string, buckets []float64) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "pompe", Name: name, Help: help, ConstLabels: labels, Buckets: buckets})
	}
	latency := prometheus.ExponentialBuckets(1e-5, 2, 20)
	m := &metrics{
		committedHeight: gauge("committed_height", "Height of the newest committed block."),
		view:            gauge("view", "Current HotStuff view."),
		leader:          gauge("leader", "Leader of the current view, as this replica computes it from its highest certified block."),
		viewChanges:     counter("views_total", "Views entered."),
		executedCmds:    counter("executed_commands_total", "Commands executed on the application."),
		executedBatches: counter("executed_batches_total", "Batches executed."),
		duplicateCmds:   counter("duplicate_commands_total", "Commands skipped as already executed."),
		committedBlocks: counter("committed_blocks_total", "Blocks committed."),
		resendsRefused:  counter("resends_refused_total", "Executed replies a client asked for again that were not sent: over its reply budget (package replybudget)."),
		inboundQueue:    gauge("inbound_queue_length", "Replica messages waiting for the state machine."),
		clientQueue:     gauge("client_queue_length", "Client messages waiting for the state machine."),
		turnInputs:      hist("turn_inputs", "Inputs handled per loop turn (group commit size).", prometheus.ExponentialBuckets(1, 2, 12)),
		persistSeconds:  hist("sync_seconds", "Latency of one storage sync (fsync of everything written so far).", latency),
		syncTurns:       hist("sync_turns", "Loop turns whose writes one sync made durable (group commit).", prometheus.ExponentialBuckets(1, 2, 12)),
		turnSeconds:     hist("turn_seconds", "Latency of one loop turn, from the first input to the last send.", latency),
		commitSeconds:   hist("block_interval_seconds", "Time between two commits at this replica.", latency),
		stepErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "pompe", Name: "rejected_inputs_total",
			Help: "Inputs refused by the state machine, by source.", ConstLabels: labels}, []string{"source"}),
	}
	// Both sources exist from the start, at 0, so a dashboard or alert on
	// the series does not see it appear only with the first rejection.
	for _, source := range []string{"replica", "client"} {
		m.stepErrors.WithLabelValues(source)
	}
	if reg != nil {
		reg.MustRegister(m.resendsRefused, m.committedHeight, m.view, m.leader, m.viewChanges, m.executedCmds, m.executedBatches, m.duplicateCmds,
			m.committedBlocks, m.inboundQueue, m.clientQueue, m.turnInputs, m.persistSeconds, m.syncTurns, m.turnSeconds, m.commitSeconds, m.stepErrors)
	}
	return m
}

// registerCryptoMetrics exports the process's signature counters, read at
// scrape time.
func registerCryptoMetrics(reg prometheus.Registerer, replica int) error {
	labels := prometheus.Labels{"replica": strconv.Itoa(replica)}
	for _, c := range []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "pompe", Name: "signatures_total",
			Help: "Signatures this replica made.", ConstLabels: labels},
			func() float64 { return float64(crypto.Ops().Signed) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "pompe", Name: "signature_checks_total",
			Help: "Signatures this replica checked (each item of a batch counts; a certificate found among those already verified counts nothing).", ConstLabels: labels},
			func() float64 { return float64(crypto.Ops().Verified) }),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("node: register crypto metrics: %w", err)
		}
	}
	return nil
}

// registerNetMetrics exports the transport's socket byte totals, split by
// kind of connection, read at scrape time.
func registerNetMetrics(reg prometheus.Registerer, replica int, read func() transport.NetBytes) error {
	counter := func(name, help, kind string, value func(transport.NetBytes) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "pompe", Name: name, Help: help,
			ConstLabels: prometheus.Labels{"replica": strconv.Itoa(replica), "kind": kind}},
			func() float64 { return float64(value(read())) })
	}
	const sent, received = "Bytes written to sockets, TLS included, by kind of connection.", "Bytes read from sockets, TLS included, by kind of connection."
	for _, c := range []prometheus.Collector{
		counter("net_sent_bytes_total", sent, "peer", func(b transport.NetBytes) uint64 { return b.PeerSent }),
		counter("net_sent_bytes_total", sent, "client", func(b transport.NetBytes) uint64 { return b.ClientSent }),
		counter("net_received_bytes_total", received, "peer", func(b transport.NetBytes) uint64 { return b.PeerReceived }),
		counter("net_received_bytes_total", received, "client", func(b transport.NetBytes) uint64 { return b.ClientReceived }),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("node: register network metrics: %w", err)
		}
	}
	return nil
}
