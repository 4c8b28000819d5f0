package config

import (
	"net"
	"time"

	"github.com/pompe-bft/pompe/internal/wire"
)

// Config is a replica's own settings (config.toml). The doc tags are written
// into the generated file as comments; a test requires one on every key.
type Config struct {
	Node      NodeConfig      `toml:"node" doc:"This replica."`
	P2P       P2PConfig       `toml:"p2p" doc:"Connections to other replicas and to clients."`
	Consensus ConsensusConfig `toml:"consensus" doc:"Chained HotStuff: views, leaders and blocks."`
	Pompe     PompeConfig     `toml:"pompe" doc:"The ordering phase: timestamps, sequencing and slots."`
	Mempool   MempoolConfig   `toml:"mempool" doc:"Batches waiting to be proposed (hotstuff mode) or collected (pompe mode)."`
	Storage   StorageConfig   `toml:"storage" doc:"The on-disk store under the data directory."`
	Metrics   MetricsConfig   `toml:"metrics" doc:"Prometheus metrics."`
	Emulation EmulationConfig `toml:"emulation" doc:"Network emulation for experiments: delay, jitter and loss added to outgoing peer traffic."`
}

// DefaultMemoryLimitMiB keeps a loaded replica's resident memory under
// 300 MiB: pebble's memtables and block cache (80 MiB at most) live
// outside the Go heap.
const DefaultMemoryLimitMiB = 176

// NodeConfig identifies the replica and sets up logging.
type NodeConfig struct {
	ID        int    `toml:"id" doc:"Replica index in genesis.toml. -1 finds it from node_key.toml; any other value must match the key."`
	DataDir   string `toml:"data_dir" doc:"Store directory, relative to the home directory unless absolute."`
	LogLevel  string `toml:"log_level" doc:"Least severe level logged: debug, info, warn or error."`
	LogFormat string `toml:"log_format" doc:"Log line format: text or json."`
	// MemoryLimitMiB is applied by the pompe node process, not by the
	// package, since a Go memory limit is process-wide.
	MemoryLimitMiB int `toml:"memory_limit_mib" doc:"Soft limit of the replica process's Go memory, in MiB: the garbage collector works harder as the heap nears it instead of letting it double. 0: no limit. The GOMEMLIMIT environment variable, when set, wins."`
}

// P2PConfig bounds connections and their queues.
type P2PConfig struct {
	ListenPeer        string   `toml:"listen_peer" doc:"Address (host:port) to accept replica connections on. Empty: this replica's peer_address in genesis.toml."`
	ListenClient      string   `toml:"listen_client" doc:"Address (host:port) to accept client connections on. Empty: this replica's client_address in genesis.toml."`
	MaxFrameBytes     int      `toml:"max_frame_bytes" doc:"Largest message accepted on any connection, in bytes. Must exceed consensus.block_max_bytes."`
	PeerQueueFrames   int      `toml:"peer_queue_frames" doc:"Messages queued per replica connection before the oldest droppable ones are shed."`
	ClientQueueFrames int      `toml:"client_queue_frames" doc:"Messages queued per client connection before the client is disconnected as too slow."`
	MaxClients        int      `toml:"max_clients" doc:"Concurrent client connections accepted; more are refused."`
	DialBackoffMin    Duration `toml:"dial_backoff_min" doc:"First wait before redialling a replica after a failed dial."`
	DialBackoffMax    Duration `toml:"dial_backoff_max" doc:"Cap of the exponential redial wait."`

	MaxClientFrameBytes    int      `toml:"max_client_frame_bytes" doc:"Largest message accepted from a client, in bytes: just above a full batch (4 MiB) with its proof."`
	MaxClientsPerIP        int      `toml:"max_clients_per_ip" doc:"Established client connections from one IP address; more are refused at accept, before TLS."`
	MaxClientsPerPrefix    int      `toml:"max_clients_per_prefix" doc:"Established client connections from one /24 (IPv4) or /64 (IPv6); more are refused at accept, before TLS."`
	ClientIdleTimeout      Duration `toml:"client_idle_timeout" doc:"A client connection that sends nothing for this long is closed (the client library redials)."`
	FrameTimeout           Duration `toml:"frame_timeout" doc:"Time a started message has to arrive, plus its length at 256 KiB/s; a connection that misses it is closed."`
	FirstByteTimeout       Duration `toml:"first_byte_timeout" doc:"An accepted connection that sends nothing for this long is closed before TLS."`
	HandshakeTimeout       Duration `toml:"handshake_timeout" doc:"An accepted connection must finish TLS within this time."`
	MaxPendingHandshakes   int      `toml:"max_pending_handshakes" doc:"Connections still in TLS per listener; more are refused at once."`
	MaxPendingPerIP        int      `toml:"max_pending_per_ip" doc:"Connections still in TLS from one IP address, per listener."`
	MaxPendingPerPrefix    int      `toml:"max_pending_per_prefix" doc:"Connections still in TLS from one /24 (IPv4) or /64 (IPv6), per listener."`
	ReservedPeerHandshakes int      `toml:"reserved_peer_handshakes" doc:"Handshake slots on the peer listener reserved for each replica at a genesis peer IP, outside the shared budget, so floods cannot keep replicas out of the mesh."`
	ClientInboundBytes     int      `toml:"client_inbound_bytes" doc:"Bytes of client messages received and not yet handled; at the bound, client connections stop being read until the replica catches up."`
	ClientPrefixRate       int      `toml:"client_prefix_rate" doc:"Bytes per second of large client frames (their bytes beyond the first 64 KiB) that one source prefix (/24 or /64) may send; beyond it the connections of that prefix are read more slowly. Negative: no pacing."`
	ClientInboundShare     int      `toml:"client_inbound_share" doc:"Of client_inbound_bytes, what one source prefix (/24 or /64) may hold, in handled messages and again in frames being read; beyond it that prefix.s connections wait."`
	PeerInboundBytes       int      `toml:"peer_inbound_bytes" doc:"Bytes of replica messages received and not yet handled; each replica may hold an equal share."`
	ClientSendBytes        int      `toml:"client_send_bytes" doc:"Bytes queued to all clients together; a client with a backlog at the bound is disconnected as too slow (clients that read their replies are never refused)."`
	BadProofLimit          int      `toml:"bad_proof_limit" doc:"Offences from one source IP within bad_proof_window (bad sequence proofs; connections ended by a malformed, oversized or unfinished frame) that disconnect its client and refuse the IP for a while (1 s, doubling per offence up to a minute)."`
	BadProofWindow         Duration `toml:"bad_proof_window" doc:"Window over which bad_proof_limit counts."`
}

// ConsensusConfig sets the pacemaker and block limits.
type ConsensusConfig struct {
	ViewTimeout      Duration `toml:"view_timeout" doc:"Time a view may take before replicas time out, until views have been measured; then the timeout follows the measured view durations (bounded by view_timeout_min and view_timeout), and doubles after each failed view."`
	ViewTimeoutMin   Duration `toml:"view_timeout_min" doc:"Lowest view timeout that measured view durations may bring it down to."`
	ViewTimeoutMax   Duration `toml:"view_timeout_max" doc:"Cap of the doubling view timeout."`
	LeaderPolicy     string   `toml:"leader_policy" doc:"How leaders are chosen: reputation (replicas active in recent committed blocks, recent failures skipped, every replica still leads regularly), round-robin, or fixed (fixed_leader leads every view; experiments only)."`
	FixedLeader      int      `toml:"fixed_leader" doc:"Replica index that leads every view, for experiments (any value >= 0 selects the fixed policy); -1 otherwise."`
	ReputationWindow int      `toml:"reputation_window" doc:"Recent committed blocks the reputation policy reads; 0 means 8 per replica."`
	LeaderTermViews  int      `toml:"leader_term_views" doc:"Consecutive views one leader keeps before the next takes over (at least 1). A timeout ends a failed leader's term at once."`
	BlockMaxBatches  int      `toml:"block_max_batches" doc:"Most batches one block carries."`
	BlockMaxBytes    int      `toml:"block_max_bytes" doc:"Most bytes of batches one block carries."`
	ProposeDelay     Duration `toml:"propose_delay" doc:"How long a leader may wait for more batches to fill a block; 0s proposes at once."`
	TickInterval     Duration `toml:"tick_interval" doc:"Period of the timer that drives timeouts and retries."`
	FetchTimeout     Duration `toml:"fetch_timeout" doc:"Wait for a fetched block or batch body before asking another replica."`
}

// PompeConfig tunes the ordering phase.
type PompeConfig struct {
	Delta                  Duration `toml:"delta" doc:"Liveness slack: a leader closes slots at now - delta. Must exceed two network delays plus the clock skew; widens only on evidence that a batch missed its slot (a retry carrying its earlier proof), by what that batch needed, and decays slowly."`
	DeltaMax               Duration `toml:"delta_max" doc:"Cap of the adaptive delta."`
	ClockSkew              Duration `toml:"clock_skew" doc:"Largest clock difference tolerated: a slot boundary further than this in the future is refused."`
	TSWindow               Duration `toml:"ts_window" doc:"Timestamp replies of one window share one signature (Merkle signing). A window is every request that arrived in one turn of the replica's loop, so an idle replica adds no delay; under load a replica signs at most one window per ts_window, holding replies for at most that long. 0s: one window per turn however fast requests come. Must be below delta."`
	TSWindowMaxRequests    int      `toml:"ts_window_max_requests" doc:"A signing window closes early after this many timestamp requests."`
	UnsequencedTTL         Duration `toml:"unsequenced_ttl" doc:"How long a timestamped but unsequenced batch body is kept."`
	MaxPendingBatches      int      `toml:"max_pending_batches" doc:"Sequenced batches held before new sequence requests are rejected."`
	MaxPendingBytes        int64    `toml:"max_pending_bytes" doc:"Bytes of sequenced batches held (bodies and proofs) before new sequence requests are rejected; one submitter may hold a quarter of this and of max_pending_batches."`
	MaxUnsequencedBytes    int64    `toml:"max_unsequenced_bytes" doc:"Bytes of timestamped, not yet sequenced batch bodies held; timestamp requests beyond it are refused (mempool.max_batches bounds their count)."`
	ClientUnsequenced      int      `toml:"client_unsequenced_batches" doc:"Timestamped, not yet sequenced batches one client may have held; its further timestamp requests are refused."`
	ClientUnsequencedBytes int64    `toml:"client_unsequenced_bytes" doc:"Bytes of timestamped, not yet sequenced batches one client may have held."`
	MaxKnownBytes          int64    `toml:"max_known_bytes" doc:"Bytes of bodies and proofs a leader holds of batches other replicas listed in collect replies; each replica's entries may take 1/n of it."`
	MaxServeBytes          int64    `toml:"max_serve_bytes" doc:"Largest response to one fetch of batch bodies (at least one batch)."`
	ServeBytesPerSecond    int64    `toml:"serve_bytes_per_second" doc:"Fetch budget of each peer replica, in bytes per second (bursts of twice max_serve_bytes); requests beyond it wait for the peer's retry."`
}

// MempoolConfig bounds the batches waiting for a block.
type MempoolConfig struct {
	MaxBatches int   `toml:"max_batches" doc:"Most batches waiting; submissions beyond it are refused."`
	MaxBytes   int64 `toml:"max_bytes" doc:"Most bytes of batches waiting; submissions beyond it are refused."`
	// ClientBatches and ClientBytes are one client's share in hotstuff
	// mode (pompe mode has pompe.client_unsequenced_*).
	ClientBatches int   `toml:"client_batches" doc:"Hotstuff mode: batches of one client waiting; its further submissions are refused until some commit."`
	ClientBytes   int64 `toml:"client_bytes" doc:"Hotstuff mode: bytes of one client's batches waiting."`
}

// StorageConfig sets durability and pruning.
type StorageConfig struct {
	RetentionBlocks int  `toml:"retention_blocks" doc:"Committed blocks kept; older ones are pruned. Lagging replicas further behind cannot catch up from this one."`
	Sync            bool `toml:"sync" doc:"Sync writes to disk before messages that depend on them leave. false is unsafe and only for experiments."`
}

// MetricsConfig exposes Prometheus metrics.
type MetricsConfig struct {
	Listen string `toml:"listen" doc:"Address (host:port) serving /metrics, e.g. \"127.0.0.1:26660\". Empty: no metrics server."`
	Pprof  string `toml:"pprof" doc:"Where the metrics server also serves /debug/pprof (profiles, goroutine dumps): \"loopback\" only when metrics.listen is a loopback address, \"always\" on any address (anyone who reaches it can profile the replica), or \"never\"."`
}

// Values of metrics.pprof.
const (
	PprofLoopback = "loopback"
	PprofAlways   = "always"
	PprofNever    = "never"
)

// ServesPprof says whether the metrics server listening on addr serves
// /debug/pprof. By default only a loopback listener does: profiles and
// goroutine dumps reveal internals and cost CPU, so an address others can
// reach gets them only when a config asks explicitly.
func (m MetricsConfig) ServesPprof(addr net.Addr) bool {
	switch m.Pprof {
	case PprofAlways:
		return true
	case PprofNever:
		return false
	}
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// EmulationConfig adds delay, jitter and loss to outgoing peer traffic.
type EmulationConfig struct {
	Enabled bool     `toml:"enabled" doc:"Turn network emulation on."`
	Seed    uint64   `toml:"seed" doc:"Seed of the emulation's random choices, for reproducible runs."`
	Delay   Duration `toml:"delay" doc:"One-way delay added to every message to a peer."`
	Jitter  Duration `toml:"jitter" doc:"The delay varies uniformly in [delay-jitter, delay+jitter] (never below 0)."`
	Loss    float64  `toml:"loss" doc:"Probability, 0..1, that a message to a peer is dropped."`
	// Links overrides the defaults per peer; keys are peer indexes.
	Links map[string]LinkEmulation `toml:"links" doc:"Per-peer overrides, as [emulation.links.INDEX] tables with delay, jitter and loss; a key left out takes the default above."`
}

// LinkEmulation is the emulation of the link to one peer.
type LinkEmulation struct {
	Delay  Duration `toml:"delay" doc:"One-way delay to this peer."`
	Jitter Duration `toml:"jitter" doc:"The delay to this peer varies uniformly in [delay-jitter, delay+jitter]."`
	Loss   float64  `toml:"loss" doc:"Drop probability to this peer, 0..1."`
}

// Link returns the emulation of the link to peer.
func (e *EmulationConfig) Link(peer int) LinkEmulation {
	if l, ok := e.Links[itoa(peer)]; ok {
		return l
	}
	return LinkEmulation{Delay: e.Delay, Jitter: e.Jitter, Loss: e.Loss}
}

// Default returns the settings used for every key a config file leaves out.
func Default() Config {
	ms := func(n int) Duration { return Duration(time.Duration(n) * time.Millisecond) }
	return Config{
		Node: NodeConfig{ID: -1, DataDir: "data", LogLevel: "info", LogFormat: "text", MemoryLimitMiB: DefaultMemoryLimitMiB},
		P2P: P2PConfig{
			MaxFrameBytes:     wire.DefaultMaxFrameBytes,
			PeerQueueFrames:   8192,
			ClientQueueFrames: 1024,
			MaxClients:        4096,
			DialBackoffMin:    ms(200),
			DialBackoffMax:    ms(5000),

			MaxClientFrameBytes:    4<<20 + 256<<10,
			MaxClientsPerIP:        256,
			MaxClientsPerPrefix:    1024,
			ClientIdleTimeout:      ms(5 * 60 * 1000),
			FrameTimeout:           ms(10_000),
			FirstByteTimeout:       ms(2000),
			HandshakeTimeout:       ms(3000),
			MaxPendingHandshakes:   256,
			MaxPendingPerIP:        16,
			MaxPendingPerPrefix:    64,
			ReservedPeerHandshakes: 4,
			ClientInboundBytes:     64 << 20,
			ClientInboundShare:     16 << 20,
			ClientPrefixRate:       16 << 20,
			PeerInboundBytes:       256 << 20,
			ClientSendBytes:        128 << 20,
			BadProofLimit:          8,
			BadProofWindow:         ms(10_000),
		},
		Consensus: ConsensusConfig{
			ViewTimeout:     ms(500),
			ViewTimeoutMin:  ms(50),
			ViewTimeoutMax:  ms(10_000),
			LeaderPolicy:    "reputation",
			FixedLeader:     -1,
			LeaderTermViews: 1,
			BlockMaxBatches: 1000,
			BlockMaxBytes:   16 << 20,
			ProposeDelay:    0,
			TickInterval:    ms(10),
			FetchTimeout:    ms(500),
		},
		Pompe: PompeConfig{
			Delta:                  ms(5),
			DeltaMax:               ms(1000),
			ClockSkew:              ms(50),
			TSWindow:               ms(1),
			TSWindowMaxRequests:    256,
			UnsequencedTTL:         ms(30_000),
			MaxPendingBatches:      100_000,
			MaxPendingBytes:        128 << 20,
			MaxUnsequencedBytes:    64 << 20,
			ClientUnsequenced:      4096,
			ClientUnsequencedBytes: 16 << 20,
			MaxKnownBytes:          64 << 20,
			MaxServeBytes:          16 << 20,
			ServeBytesPerSecond:    128 << 20,
		},
		Mempool:   MempoolConfig{MaxBatches: 100_000, MaxBytes: 512 << 20, ClientBatches: 4096, ClientBytes: 16 << 20},
		Storage:   StorageConfig{RetentionBlocks: 10_000, Sync: true},
		Metrics:   MetricsConfig{Listen: "", Pprof: PprofLoopback},
		Emulation: EmulationConfig{},
	}
}
