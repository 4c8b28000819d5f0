package node

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/byzantine"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/execution"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/mempool"
	"github.com/pompe-bft/pompe/internal/ordering"
	"github.com/pompe-bft/pompe/internal/ratelog"
	"github.com/pompe-bft/pompe/internal/replica"
	"github.com/pompe-bft/pompe/internal/replybudget"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/pkg/app"
	"github.com/pompe-bft/pompe/pkg/app/kvstore"
)

// Options adjust a node beyond its home directory.
type Options struct {
	// App is the replicated application (default: the key-value store).
	App app.Application
	// Logger receives the node's logs (default: from the config's level and
	// format, to stderr).
	Logger *slog.Logger
	// Registry collects metrics (default: a fresh registry served on the
	// configured metrics address).
	Registry *prometheus.Registry
	// FaultControl serves the fault-injection endpoints (/debug/fault/...)
	// on the metrics address, for fault tests. Never enable it in
	// production: anyone who reaches the address can partition the replica.
	FaultControl bool
	// Byzantine, if set, makes this replica misbehave (internal/byzantine):
	// test-only, never on by default. ByzantineTargets are the clients a
	// delay-ts replica delays (empty: every client whose id hashes even).
	Byzantine        byzantine.Kind
	ByzantineTargets []crypto.ClientID
}

// Node is a running replica.
type Node struct {
	home    *config.Home
	log     *slog.Logger
	store   *storage.Pebble
	tr      *transport.Transport
	r       *replica.Replica
	exec    *execution.Executor
	execLog *runlog.ExecWriter
	logged  runlog.ExecEntry // last entry already in the execution log
	m       *metrics
	reg     *prometheus.Registry
	metrics *http.Server
	sync    bool
	tick    time.Duration
	sendq   chan<- outgoing // set while the loop runs
	// sendBytes bounds the bytes queued on sendq (sendQueueBytes).
	sendBytes sendBudget

	lastView       uint64
	lastCommit     time.Time
	lastExecuted   uint64
	lastDuplicates uint64
	resends        *replybudget.Budget // bounds Executed replies sent again

	faultControl bool
	faults       faults
	committee    *crypto.Committee
	verifier     *tsproof.Verifier

	viewLog           *viewChangeLog
	catchLog          *ratelog.Logger
	catchUpAt         time.Time // when the running catch-up started (zero: none)
	startedAt         time.Time
	firstCommitLogged bool

	byz      *byzantine.Transformer // nil unless misbehaving on purpose (tests)
	byzExtra []hotstuff.Envelope    // what it sends beside the replica, until the turn ends
}

// Open loads home and prepares a node; Run starts it.
func Open(home string, opts Options) (*Node, error) {
	h, err := config.Load(home)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = NewLogger(h.Config.Node.LogLevel, h.Config.Node.LogFormat, os.Stderr)
	}
	log = log.With("replica", h.Index)
	committee, err := h.Committee()
	if err != nil {
		return nil, err
	}
	n := &Node{home: h, log: log, sync: h.Config.Storage.Sync, tick: h.Config.Consensus.TickInterval.Std(), faultControl: opts.FaultControl,
		resends: replybudget.New(replybudget.Limits{}, time.Now())}
	n.viewLog = newViewChangeLog(log, viewChangeLogInterval)
	n.catchLog = newCatchUpLog(log)
	n.reg = opts.Registry
	if n.reg == nil {
		n.reg = prometheus.NewRegistry()
		n.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	n.m = newMetrics(n.reg, h.Index)

	if err := os.MkdirAll(h.DataDir(), 0o755); err != nil {
		return nil, fmt.Errorf("node: data directory: %w", err)
	}
	storeDir := filepath.Join(h.DataDir(), "store")
	n.store, err = storage.OpenPebble(storeDir, storage.PebbleOptions{Logger: log})
	if err != nil {
		return nil, explainStoreOpen(storeDir, home, err)
	}
	fail := func(err error) (*Node, error) {
		n.closeAll()
		return nil, err
	}
	if err := CheckStoreIdentity(n.store, identityOf(h), storeDir, log); err != nil {
		return fail(err)
	}
	n.committee = committee
	n.verifier = verifierFor(string(h.Genesis.Mode), committee)
	// The allowlist is built once and shared by validation and the
	// transport; a key that does not decode stops the replica rather than
	// leave the cluster open.
	allow, err := clientAllowlist(&h.Genesis)
	if err != nil {
		return fail(err)
	}
	rc := replicaConfig(h, committee, log, allow)
	rc.Ordering.Verifier = n.verifier
	n.r, err = replica.New(rc, n.store)
	if err != nil {
		return fail(err)
	}
	application := opts.App
	if application == nil {
		application, err = kvstore.New(kvstore.Limits{})
		if err != nil {
			return fail(err)
		}
	}
	n.exec, err = execution.New(snapshotConfig(h.Config.Storage.RetentionBlocks), application, n.store)
	if err != nil {
		return fail(err)
	}
	logPath := filepath.Join(h.DataDir(), runlog.ExecLogName(h.Index))
	n.logged, err = lastLoggedHeight(logPath)
	if err != nil {
		return fail(err)
	}
	n.execLog, err = runlog.OpenExecLog(logPath)
	if err != nil {
		return fail(err)
	}
	tc := transportConfig(h, committee, log, n.reg, allow)
	tc.InspectPeer = peerInspector(committee, n.verifier)
	if opts.FaultControl && tc.Emulator == nil {
		// Links start unimpaired; the fault endpoints change them.
		tc.Emulator = transport.NewLinkEmulator(uint64(h.Index) + 1)
	}
	n.faults.em = tc.Emulator
	n.tr, err = transport.New(tc)
	if err != nil {
		return fail(err)
	}
	if err := registerNetMetrics(n.reg, h.Index, n.tr.NetBytes); err != nil {
		return fail(err)
	}
	if err := registerCryptoMetrics(n.reg, h.Index); err != nil {
		return fail(err)
	}
	if err := n.openByzantine(opts); err != nil {
		return fail(err)
	}
	return n, nil
}

// leaderPolicy maps the validated consensus.leader_policy.
func leaderPolicy(s string) hotstuff.LeaderPolicy {
	p, _ := hotstuff.ParseLeaderPolicy(s)
	return p
}

// clientAllowlist builds the genesis client allowlist (nil: an open
// cluster).
func clientAllowlist(g *config.Genesis) (*batch.Allowlist, error) {
	keys, err := g.ClientKeys()
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	return batch.NewAllowlist(keys), nil
}

func replicaConfig(h *config.Home, committee *crypto.Committee, log *slog.Logger, allow *batch.Allowlist) replica.Config {
	c := h.Config
	us := func(d config.Duration) int64 { return d.Std().Microseconds() }
	limits := batch.Limits{Clients: allow}
	return replica.Config{
		ID:        uint32(h.Index),
		Committee: committee,
		Key:       h.Key,
		Mode:      replica.Mode(h.Genesis.Mode),
		Logger:    log,
		Consensus: hotstuff.Config{
			ViewTimeoutUs:    us(c.Consensus.ViewTimeout),
			ViewTimeoutMinUs: us(c.Consensus.ViewTimeoutMin),
			ViewTimeoutMaxUs: us(c.Consensus.ViewTimeoutMax),
			LeaderPolicy:     leaderPolicy(c.Consensus.LeaderPolicy),
			FixedLeader:      c.Consensus.FixedLeader,
			ReputationWindow: uint64(c.Consensus.ReputationWindow),
			LeaderTermViews:  uint64(c.Consensus.LeaderTermViews),
			FetchRetryUs:     us(c.Consensus.FetchTimeout),
			RetentionBlocks:  uint64(c.Storage.RetentionBlocks),
		},
		Ordering: ordering.Config{
			DeltaUs:           us(c.Pompe.Delta),
			DeltaMaxUs:        us(c.Pompe.DeltaMax),
			SkewUs:            us(c.Pompe.ClockSkew),
			WindowUs:          us(c.Pompe.TSWindow),
			WindowMaxRequests: c.Pompe.TSWindowMaxRequests,
			UnsequencedTTLUs:  us(c.Pompe.UnsequencedTTL),
			MaxBodies:         c.Mempool.MaxBatches,
			MaxPending:        c.Pompe.MaxPendingBatches,
			MaxPendingBytes:   c.Pompe.MaxPendingBytes,
			MaxBodyBytes:      c.Pompe.MaxUnsequencedBytes,
			ClientBodies:      c.Pompe.ClientUnsequenced,
			ClientBodyBytes:   c.Pompe.ClientUnsequencedBytes,
			MaxKnownBytes:     c.Pompe.MaxKnownBytes,
			MaxServeBytes:     c.Pompe.MaxServeBytes,
			ServeBytesPerSec:  c.Pompe.ServeBytesPerSecond,
			ServeBurstBytes:   2 * c.Pompe.MaxServeBytes,
			FetchRetryUs:      us(c.Consensus.FetchTimeout),
			RetentionBlocks:   uint64(c.Storage.RetentionBlocks),
			Limits:            limits,
		},
		Mempool: mempool.Config{
			MaxBatches:      c.Mempool.MaxBatches,
			MaxBytes:        int(c.Mempool.MaxBytes),
			ClientBatches:   c.Mempool.ClientBatches,
			ClientBytes:     int(c.Mempool.ClientBytes),
			BlockMaxBatches: c.Consensus.BlockMaxBatches,
			ProposeDelayUs:  us(c.Consensus.ProposeDelay),
			FetchRetryUs:    us(c.Consensus.FetchTimeout),
			RetentionBlocks: uint64(c.Storage.RetentionBlocks),
			Limits:          limits,
		},
	}
}

func transportConfig(h *config.Home, committee *crypto.Committee, log *slog.Logger, reg prometheus.Registerer, allow *batch.Allowlist) transport.Config {
	c := h.Config
	peers := make([]string, len(h.Genesis.Replicas))
	for i, r := range h.Genesis.Replicas {
		peers[i] = r.PeerAddress
	}
	tc := transport.Config{
		GenesisHash:       genesisHash(&h.Genesis),
		AdmitClient:       admitFunc(allow),
		Self:              uint32(h.Index),
		Key:               h.Key,
		Committee:         committee,
		PeerAddrs:         peers,
		ListenPeer:        c.P2P.ListenPeer,
		ListenClient:      c.P2P.ListenClient,
		MaxFrameBytes:     c.P2P.MaxFrameBytes,
		PeerQueueFrames:   c.P2P.PeerQueueFrames,
		ClientQueueFrames: c.P2P.ClientQueueFrames,
		MaxClients:        c.P2P.MaxClients,
		DialBackoffMin:    c.P2P.DialBackoffMin.Std(),
		DialBackoffMax:    c.P2P.DialBackoffMax.Std(),

		ClientMaxFrameBytes:    c.P2P.MaxClientFrameBytes,
		MaxClientsPerIP:        c.P2P.MaxClientsPerIP,
		MaxClientsPerPrefix:    c.P2P.MaxClientsPerPrefix,
		ClientIdleTimeout:      c.P2P.ClientIdleTimeout.Std(),
		FrameTimeout:           c.P2P.FrameTimeout.Std(),
		FirstByteTimeout:       c.P2P.FirstByteTimeout.Std(),
		HandshakeTimeout:       c.P2P.HandshakeTimeout.Std(),
		MaxPendingHandshakes:   c.P2P.MaxPendingHandshakes,
		MaxPendingPerIP:        c.P2P.MaxPendingPerIP,
		MaxPendingPerPrefix:    c.P2P.MaxPendingPerPrefix,
		ReservedPeerHandshakes: c.P2P.ReservedPeerHandshakes,
		ClientInboundBytes:     c.P2P.ClientInboundBytes,
		ClientInboundShare:     c.P2P.ClientInboundShare,
		ClientPrefixRate:       c.P2P.ClientPrefixRate,
		PeerInboundBytes:       c.P2P.PeerInboundBytes,
		ClientSendBytes:        c.P2P.ClientSendBytes,
		BadProofLimit:          c.P2P.BadProofLimit,
		BadProofWindow:         c.P2P.BadProofWindow.Std(),

		Logger:  log,
		Metrics: reg,
	}
	if e := c.Emulation; e.Enabled {
		em := transport.NewLinkEmulator(e.Seed)
		for i := range peers {
			l := e.Link(i)
			_ = em.SetLink(uint32(i), transport.LinkSpec{Delay: l.Delay.Std(), Jitter: l.Jitter.Std(), DropProbability: l.Loss})
		}
		tc.Emulator = em
	}
	return tc
}

// genesisHash identifies what peers must agree on to talk: the cluster id,
// the mode and the committee's keys in order (addresses may differ between
// replicas' views, behind NAT). Peers compare it at the handshake.
// admitFunc is the transport's admission check for an allowlist (nil for
// an open cluster).
func admitFunc(a *batch.Allowlist) func(crypto.ClientID) bool {
	if a == nil {
		return nil
	}
	return a.Admits
}

func genesisHash(g *config.Genesis) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "pompe/genesis/1\x00%s\x00%s\x00%d", g.ClusterID, g.Mode, len(g.Replicas))
	for _, r := range g.Replicas {
		fmt.Fprintf(h, "\x00%s", r.PublicKey)
	}
	// The client allowlist decides which batches are valid, so replicas
	// with different lists must not form a cluster. An open cluster hashes
	// as it did before allowlists existed.
	if len(g.Clients) > 0 {
		fmt.Fprintf(h, "\x00clients\x00%d", len(g.Clients))
		for _, k := range g.Clients {
			fmt.Fprintf(h, "\x00%s", k)
		}
	}
	return h.Sum(nil)
}

// Run serves until ctx ends, then shuts down cleanly. It returns an error if
// the replica had to stop (storage failure) or could not start.
// snapshotConfig spaces execution snapshots by the state's size: a
// snapshot of S bytes is followed by the next after S/64 commands, within
// 200 blocks and a quarter of the retention (replay after a restart needs
// every block since the snapshot), at most 2000. Serializing the state then
// costs a bounded amount per command instead of growing with the state.
func snapshotConfig(retentionBlocks int) execution.Config {
	maxBlocks := uint64(2000)
	if retentionBlocks > 0 {
		maxBlocks = max(1, min(maxBlocks, uint64(retentionBlocks)/4))
	}
	return execution.Config{SnapshotEveryBlocks: min(200, maxBlocks), SnapshotBytesPerCommand: 64, SnapshotMaxBlocks: maxBlocks}
}

func (n *Node) Run(ctx context.Context) (err error) {
	n.startedAt = time.Now()
	defer func() {
		n.closeAll()
		n.logStopped(ctx, err)
	}()
	stopProfile, err := n.startProfile()
	if err != nil {
		return err
	}
	defer stopProfile()
	if err := n.startMetrics(); err != nil {
		return err
	}
	if err := n.tr.Start(); err != nil {
		return err
	}
	n.log.Info("replica started", "mode", string(n.home.Genesis.Mode), "peer_addr", addrString(n.tr.PeerAddr()), "client_addr", addrString(n.tr.ClientAddr()),
		"view", n.r.Core().View(), "committed", n.r.Core().CommittedHeight(), "executed", n.exec.Height())
	err = n.loop(ctx)
	if err == nil {
		n.log.Info("replica stopping", "reason", stopReason(ctx), "view", n.r.Core().View(),
			"committed", n.r.Core().CommittedHeight(), "executed", n.exec.Height())
		err = n.snapshotOnExit()
	}
	return err
}

// logStopped says that the replica stopped and why, after everything is
// closed, with the view changes not yet summarized.
func (n *Node) logStopped(ctx context.Context, err error) {
	n.viewLog.flush(time.Now(), true)
	if err != nil {
		n.log.Error("replica stopped", "err", err, "uptime", time.Since(n.startedAt).Round(time.Millisecond).String())
		return
	}
	n.log.Info("replica stopped", "reason", stopReason(ctx), "uptime", time.Since(n.startedAt).Round(time.Millisecond).String())
}

// addrString logs an address as a string (nil: empty), never as a struct.
func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// stopReason says why a loop that returned no error ended.
func stopReason(ctx context.Context) string {
	if ctx.Err() != nil {
		return "shutdown requested"
	}
	return "transport closed"
}

// replay re-executes committed blocks above the execution snapshot.
func (n *Node) replay(ctx context.Context) error {
	if err := n.r.Resume(n.exec.Height()); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	return n.handleReady(ctx)
}

func (n *Node) snapshotOnExit() error {
	var w storage.Batch
	if err := n.exec.Snapshot(&w); err != nil {
		n.log.Warn("no snapshot at shutdown", "err", err)
		return nil
	}
	if err := n.store.Apply(&w, true); err != nil {
		return fmt.Errorf("node: storage at shutdown: %w", err)
	}
	return nil
}

func (n *Node) startMetrics() error {
	addr := n.home.Config.Metrics.Listen
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("node: metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(n.reg, promhttp.HandlerOpts{}))
	if n.home.Config.Metrics.ServesPprof(ln.Addr()) {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	}
	if n.faultControl {
		n.registerFaultControl(mux)
		n.log.Warn("fault-control endpoints enabled", "addr", ln.Addr().String())
	}
	n.log.Info("metrics listening", "addr", ln.Addr().String(), "pprof", n.home.Config.Metrics.ServesPprof(ln.Addr()))
	// Timeouts bound what a slow or idle client holds: the write timeout
	// leaves room for a pprof CPU profile of up to a minute.
	n.metrics = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      70 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	go func() {
		if err := n.metrics.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Warn("metrics server stopped", "err", err)
		}
	}()
	return nil
}

func (n *Node) closeAll() {
	if n.metrics != nil {
		_ = n.metrics.Close()
	}
	if n.tr != nil {
		_ = n.tr.Close()
	}
	if n.execLog != nil {
		if err := n.execLog.Close(); err != nil {
			n.log.Warn("closing execution log", "err", err)
		}
		n.execLog = nil
	}
	if n.store != nil {
		_ = n.store.Close()
		n.store = nil
	}
}

// ClientAddr is the bound client listener address (after Run started).
func (n *Node) ClientAddr() net.Addr { return n.tr.ClientAddr() }

// Home is the node's loaded home directory.
func (n *Node) Home() *config.Home { return n.home }
