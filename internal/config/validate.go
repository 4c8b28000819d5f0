package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// validation collects every problem of a file at once, each naming the key
// and the value found.
type validation struct{ errs []error }

func (v *validation) bad(key string, value any, problem string) {
	if s, ok := value.(string); ok {
		value = strconv.Quote(s)
	}
	if d, ok := value.(Duration); ok {
		value = strconv.Quote(d.String())
	}
	v.errs = append(v.errs, fmt.Errorf("%s = %v: %s", key, value, problem))
}

func (v *validation) positive(key string, n int) {
	if n <= 0 {
		v.bad(key, n, "must be positive")
	}
}

func (v *validation) positiveDuration(key string, d Duration) {
	if d <= 0 {
		v.bad(key, d, "must be positive")
	}
}

func (v *validation) nonNegativeDuration(key string, d Duration) {
	if d < 0 {
		v.bad(key, d, "must not be negative")
	}
}

func (v *validation) probability(key string, p float64) {
	if math.IsNaN(p) || p < 0 || p > 1 {
		v.bad(key, p, "must be a probability between 0 and 1")
	}
}

func (v *validation) oneOf(key, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.bad(key, value, fmt.Sprintf("must be one of %q", allowed))
}

func (v *validation) listenAddress(key, addr string, emptyOK bool) {
	if addr == "" {
		if !emptyOK {
			v.bad(key, addr, "must not be empty")
		}
		return
	}
	if err := checkHostPort(addr, true); err != nil {
		v.bad(key, addr, err.Error())
	}
}

func (v *validation) err() error { return errors.Join(v.errs...) }

// Validate checks every setting on its own and against the others. Checks
// that need the genesis file (node.id, consensus.fixed_leader and
// emulation link indexes against n) are done by Load.
func (c *Config) Validate() error {
	v := &validation{}
	n := &c.Node
	if n.ID < -1 {
		v.bad("node.id", n.ID, "must be a replica index, or -1 to find it from the node key")
	}
	if n.DataDir == "" {
		v.bad("node.data_dir", n.DataDir, "must not be empty")
	}
	v.oneOf("node.log_level", n.LogLevel, "debug", "info", "warn", "error")
	v.oneOf("node.log_format", n.LogFormat, "text", "json")
	if n.MemoryLimitMiB < 0 || n.MemoryLimitMiB > 1<<20 {
		v.bad("node.memory_limit_mib", n.MemoryLimitMiB, "must be 0 (no limit) or a size in MiB up to 1048576")
	}

	p := &c.P2P
	v.listenAddress("p2p.listen_peer", p.ListenPeer, true)
	v.listenAddress("p2p.listen_client", p.ListenClient, true)
	v.positive("p2p.max_frame_bytes", p.MaxFrameBytes)
	v.positive("p2p.peer_queue_frames", p.PeerQueueFrames)
	v.positive("p2p.client_queue_frames", p.ClientQueueFrames)
	v.positive("p2p.max_clients", p.MaxClients)
	v.positiveDuration("p2p.dial_backoff_min", p.DialBackoffMin)
	v.positiveDuration("p2p.dial_backoff_max", p.DialBackoffMax)
	if p.DialBackoffMax < p.DialBackoffMin {
		v.bad("p2p.dial_backoff_max", p.DialBackoffMax, "must not be below p2p.dial_backoff_min "+p.DialBackoffMin.String())
	}
	for _, k := range []struct {
		name string
		v    int
	}{
		{"p2p.max_client_frame_bytes", p.MaxClientFrameBytes}, {"p2p.max_clients_per_ip", p.MaxClientsPerIP},
		{"p2p.max_clients_per_prefix", p.MaxClientsPerPrefix}, {"p2p.max_pending_handshakes", p.MaxPendingHandshakes},
		{"p2p.max_pending_per_ip", p.MaxPendingPerIP}, {"p2p.max_pending_per_prefix", p.MaxPendingPerPrefix},
		{"p2p.reserved_peer_handshakes", p.ReservedPeerHandshakes}, {"p2p.client_inbound_bytes", p.ClientInboundBytes},
		{"p2p.client_inbound_share", p.ClientInboundShare}, {"p2p.peer_inbound_bytes", p.PeerInboundBytes},
		{"p2p.client_send_bytes", p.ClientSendBytes},
		{"p2p.bad_proof_limit", p.BadProofLimit},
	} {
		v.positive(k.name, k.v)
	}
	for _, k := range []struct {
		name string
		d    Duration
	}{
		{"p2p.client_idle_timeout", p.ClientIdleTimeout}, {"p2p.frame_timeout", p.FrameTimeout},
		{"p2p.first_byte_timeout", p.FirstByteTimeout}, {"p2p.handshake_timeout", p.HandshakeTimeout},
		{"p2p.bad_proof_window", p.BadProofWindow},
	} {
		v.positiveDuration(k.name, k.d)
	}

	cs := &c.Consensus
	v.positiveDuration("consensus.view_timeout", cs.ViewTimeout)
	if cs.ViewTimeoutMax < cs.ViewTimeout {
		v.bad("consensus.view_timeout_max", cs.ViewTimeoutMax, "must not be below consensus.view_timeout "+cs.ViewTimeout.String())
	}
	if cs.ViewTimeoutMin < 0 || cs.ViewTimeoutMin > cs.ViewTimeout {
		v.bad("consensus.view_timeout_min", cs.ViewTimeoutMin, "must be between 0s and consensus.view_timeout "+cs.ViewTimeout.String())
	}
	if cs.LeaderTermViews < 1 {
		v.bad("consensus.leader_term_views", cs.LeaderTermViews, "must be at least 1")
	}
	switch cs.LeaderPolicy {
	case "reputation", "round-robin":
	case "fixed":
		if cs.FixedLeader < 0 {
			v.bad("consensus.fixed_leader", cs.FixedLeader, "must name the leader when consensus.leader_policy is fixed")
		}
	default:
		v.bad("consensus.leader_policy", cs.LeaderPolicy, "must be reputation, round-robin or fixed")
	}
	if cs.ReputationWindow < 0 {
		v.bad("consensus.reputation_window", cs.ReputationWindow, "must be 0 (8 per replica) or a number of blocks")
	}
	if cs.FixedLeader < -1 {
		v.bad("consensus.fixed_leader", cs.FixedLeader, "must be a replica index, or -1 to rotate leaders")
	}
	v.positive("consensus.block_max_batches", cs.BlockMaxBatches)
	v.positive("consensus.block_max_bytes", cs.BlockMaxBytes)
	if cs.BlockMaxBytes >= p.MaxFrameBytes && p.MaxFrameBytes > 0 {
		v.bad("consensus.block_max_bytes", cs.BlockMaxBytes, fmt.Sprintf("must be below p2p.max_frame_bytes (%d), or proposals cannot be sent", p.MaxFrameBytes))
	}
	v.nonNegativeDuration("consensus.propose_delay", cs.ProposeDelay)
	if cs.ProposeDelay >= cs.ViewTimeout && cs.ViewTimeout > 0 {
		v.bad("consensus.propose_delay", cs.ProposeDelay, "must be below consensus.view_timeout "+cs.ViewTimeout.String())
	}
	v.positiveDuration("consensus.tick_interval", cs.TickInterval)
	v.positiveDuration("consensus.fetch_timeout", cs.FetchTimeout)

	pp := &c.Pompe
	v.positiveDuration("pompe.delta", pp.Delta)
	if pp.DeltaMax < pp.Delta {
		v.bad("pompe.delta_max", pp.DeltaMax, "must not be below pompe.delta "+pp.Delta.String())
	}
	v.nonNegativeDuration("pompe.clock_skew", pp.ClockSkew)
	v.nonNegativeDuration("pompe.ts_window", pp.TSWindow)
	if pp.TSWindow >= pp.Delta && pp.Delta > 0 {
		v.bad("pompe.ts_window", pp.TSWindow, "must be below pompe.delta "+pp.Delta.String()+", or signing windows delay batches past their slot")
	}
	v.positive("pompe.ts_window_max_requests", pp.TSWindowMaxRequests)
	v.positiveDuration("pompe.unsequenced_ttl", pp.UnsequencedTTL)
	v.positive("pompe.max_pending_batches", pp.MaxPendingBatches)
	v.positive("pompe.client_unsequenced_batches", pp.ClientUnsequenced)
	for _, b := range []struct {
		key string
		val int64
	}{
		{"pompe.max_pending_bytes", pp.MaxPendingBytes},
		{"pompe.max_unsequenced_bytes", pp.MaxUnsequencedBytes},
		{"pompe.client_unsequenced_bytes", pp.ClientUnsequencedBytes},
		{"pompe.max_known_bytes", pp.MaxKnownBytes},
		{"pompe.max_serve_bytes", pp.MaxServeBytes},
		{"pompe.serve_bytes_per_second", pp.ServeBytesPerSecond},
	} {
		if b.val <= 0 {
			v.bad(b.key, b.val, "must be positive")
		}
	}

	v.positive("mempool.max_batches", c.Mempool.MaxBatches)
	if c.Mempool.MaxBytes <= 0 {
		v.bad("mempool.max_bytes", c.Mempool.MaxBytes, "must be positive")
	}
	v.positive("mempool.client_batches", c.Mempool.ClientBatches)
	if c.Mempool.ClientBytes <= 0 {
		v.bad("mempool.client_bytes", c.Mempool.ClientBytes, "must be positive")
	}

	v.positive("storage.retention_blocks", c.Storage.RetentionBlocks)
	if c.Storage.RetentionBlocks > 0 && c.Storage.RetentionBlocks < MinRetentionBlocks {
		v.bad("storage.retention_blocks", c.Storage.RetentionBlocks, fmt.Sprintf("must be at least %d: validation looks for duplicate batches in the last 64 blocks of the chain", MinRetentionBlocks))
	}
	v.listenAddress("metrics.listen", c.Metrics.Listen, true)
	v.oneOf("metrics.pprof", c.Metrics.Pprof, PprofLoopback, PprofAlways, PprofNever)

	e := &c.Emulation
	v.nonNegativeDuration("emulation.delay", e.Delay)
	v.nonNegativeDuration("emulation.jitter", e.Jitter)
	v.probability("emulation.loss", e.Loss)
	for _, k := range sortedKeys(e.Links) {
		l := e.Links[k]
		prefix := "emulation.links." + k + "."
		if i, err := strconv.Atoi(k); err != nil || i < 0 || itoa(i) != k {
			v.errs = append(v.errs, fmt.Errorf("[emulation.links.%s]: %q is not a peer index; links are keyed like [emulation.links.2]", k, k))
		}
		v.nonNegativeDuration(prefix+"delay", l.Delay)
		v.nonNegativeDuration(prefix+"jitter", l.Jitter)
		v.probability(prefix+"loss", l.Loss)
	}
	return v.err()
}

// validateAgainst checks the settings that refer to replica indexes.
func (c *Config) validateAgainst(g *Genesis, self int) error {
	v := &validation{}
	n := g.N()
	if c.Node.ID != -1 && c.Node.ID != self {
		v.bad("node.id", c.Node.ID, fmt.Sprintf("node_key.toml holds the key of replica %d", self))
	}
	if c.Consensus.FixedLeader >= n {
		v.bad("consensus.fixed_leader", c.Consensus.FixedLeader, fmt.Sprintf("the cluster has replicas 0..%d", n-1))
	}
	for _, k := range sortedKeys(c.Emulation.Links) {
		if i, err := strconv.Atoi(k); err == nil && i >= n {
			v.errs = append(v.errs, fmt.Errorf("[emulation.links.%s]: no such peer; the cluster has replicas 0..%d", k, n-1))
		}
	}
	return v.err()
}

func itoa(i int) string { return strconv.Itoa(i) }

// MinRetentionBlocks is the fewest committed blocks a replica may keep: the
// duplicate-batch rule of validation reads the 64 nearest ancestors of a
// block (ordering.DupWindowBlocks, mempool.DupWindowBlocks), which must
// still be stored; the rest is margin for a block being validated well
// above the committed tip.
const MinRetentionBlocks = 256
