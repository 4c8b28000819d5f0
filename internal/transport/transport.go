package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/ratelog"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Inbound is a message from a replica, named by its certificate. The
// consumer calls Release once it is done with the message, which returns
// its bytes to the inbound budget.
type Inbound struct {
	From    uint32
	Msg     *wire.Message
	release func()
}

// Release returns the message's bytes to the transport's inbound budget.
// It is safe to call more than once, and on a zero Inbound.
func (in Inbound) Release() {
	if in.release != nil {
		in.release()
	}
}

// ClientInbound is a message from a client, named by its certificate. The
// consumer calls Release once it is done with the message.
type ClientInbound struct {
	Client  crypto.ClientID
	Msg     *wire.ClientMessage
	release func()
	conn    *clientConn
	src     netip.Prefix
}

// NewClientInbound is a message from client id at an address in src, with
// nothing to release, as a transport delivers it (for tests of what
// consumes them).
func NewClientInbound(id crypto.ClientID, m *wire.ClientMessage, src netip.Prefix) ClientInbound {
	return ClientInbound{Client: id, Msg: m, src: src}
}

// Source is the address prefix the message came from (a /24 for IPv4, a
// /64 for IPv6): the unit one party typically controls as a whole, which
// the replica shares its work between (the zero prefix when unknown).
func (in ClientInbound) Source() netip.Prefix { return in.src }

// Release returns the message's bytes to the transport's inbound budget.
func (in ClientInbound) Release() {
	if in.release != nil {
		in.release()
	}
}

// Transport is one replica's network endpoint: the peer mesh and the client
// listener. Its methods are safe for concurrent use.
type Transport struct {
	cfg Config
	log *slog.Logger

	peerServerTLS   *tls.Config
	clientServerTLS *tls.Config

	inbound       chan Inbound
	clientInbound chan ClientInbound

	links          []*peerLink // index = replica id; nil at Self
	selfQueue      *sendQueue
	peerCounters   []linkCounters
	clientCounters linkCounters
	peerSockets    socketCounters
	clientSockets  socketCounters

	handshakeFailures atomic.Uint64
	genesisMismatches atomic.Uint64
	clientSendBytes   atomic.Int64 // bytes queued to all clients
	genesisLogged     genesisLog
	refused           [numRefuseReasons]atomic.Uint64
	closedConns       [numCloseReasons]atomic.Uint64
	peerPending       *handshakeBudget
	clientPending     *handshakeBudget
	peerBudget        *inboundBudget[uint32]
	clientBudget      *inboundBudget[netip.Prefix]
	// Frames being read, per sender (frameReservation).
	peerReading   *inboundBudget[uint32]
	clientReading *inboundBudget[netip.Prefix]
	clientRate    *prefixRate // nil: client frames are not paced
	penalties     *penaltyBox
	badProofs     *strikes
	rlog          *ratelog.Logger // lines a remote can trigger
	collector     *collector

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu           sync.Mutex
	started      bool
	closed       bool
	listeners    []net.Listener
	peerAddr     net.Addr
	clientAddr   net.Addr
	conns        map[net.Conn]struct{} // every open socket, closed by Close
	inboundPeers map[uint32]*inboundPeer
	clients      map[crypto.ClientID][]*clientConn // oldest first
	clientSlots  int
	clientsBy    clientCounts
}

// New checks cfg and builds a transport. Nothing touches the network
// until Start.
func New(cfg Config) (*Transport, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cert, err := SelfSignedCert(cfg.Key)
	if err != nil {
		return nil, err
	}
	n := cfg.Committee.N()
	ctx, cancel := context.WithCancel(context.Background())
	// cfg.Logger already names the replica (the node adds "replica" once;
	// adding it here too made a duplicate key in JSON lines).
	log := cfg.Logger
	t := &Transport{
		cfg:             cfg,
		log:             log,
		rlog:            ratelog.New(log, ratelog.DefaultInterval, ratelog.DefaultMaxKeys),
		peerServerTLS:   peerListenerTLS(cert, cfg.Committee, cfg.Self, cfg.GenesisHash),
		clientServerTLS: ClientListenerTLS(cert, cfg.AdmitClient),
		inbound:         make(chan Inbound, cfg.InboundQueue),
		clientInbound:   make(chan ClientInbound, cfg.ClientInboundQueue),
		links:           make([]*peerLink, n),
		selfQueue:       newSendQueue(cfg.PeerQueueFrames, cfg.PeerQueueBytes),
		peerCounters:    make([]linkCounters, n),
		peerPending: newHandshakeBudget(cfg.MaxPendingHandshakes, cfg.MaxPendingPerIP, cfg.MaxPendingPerPrefix,
			reservedPeerIPs(cfg)),
		clientPending: newHandshakeBudget(cfg.MaxPendingHandshakes, cfg.MaxPendingPerIP, cfg.MaxPendingPerPrefix, nil),
		peerBudget:    newInboundBudget[uint32](cfg.PeerInboundBytes, cfg.PeerInboundBytes/max(1, n-1)),
		clientBudget:  newInboundBudget[netip.Prefix](cfg.ClientInboundBytes, cfg.ClientInboundShare),
		peerReading:   newInboundBudget[uint32](cfg.PeerInboundBytes, cfg.PeerInboundBytes/max(1, n-1)),
		clientReading: newInboundBudget[netip.Prefix](cfg.ClientInboundBytes, cfg.ClientInboundShare),
		clientRate:    newPrefixRate(cfg.ClientPrefixRate, cfg.ClientMaxFrameBytes),
		penalties:     newPenaltyBox(),
		badProofs:     newStrikes(cfg.BadProofLimit, cfg.BadProofWindow),
		clientsBy:     clientCounts{byIP: make(map[netip.Addr]int), byPrefix: make(map[netip.Prefix]int)},
		ctx:           ctx,
		cancel:        cancel,
		conns:         make(map[net.Conn]struct{}),
		inboundPeers:  make(map[uint32]*inboundPeer),
		clients:       make(map[crypto.ClientID][]*clientConn),
	}
	for i := range n {
		id := uint32(i)
		if id == cfg.Self {
			continue
		}
		t.links[i] = &peerLink{
			id:       id,
			addr:     cfg.PeerAddrs[i],
			tls:      peerDialTLS(cert, cfg.Committee.PublicKey(id), cfg.GenesisHash),
			queue:    newSendQueue(cfg.PeerQueueFrames, cfg.PeerQueueBytes),
			counters: &t.peerCounters[i],
		}
	}
	t.peerServerTLS.GetConfigForClient = t.checkGenesisHello
	if cfg.Metrics != nil {
		t.collector = newCollector(t)
		if err := cfg.Metrics.Register(t.collector); err != nil {
			cancel()
			return nil, fmt.Errorf("transport: register metrics: %w", err)
		}
	}
	return t, nil
}

// Start listens on the peer (and client) address and starts dialing every
// other replica.
func (t *Transport) Start() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return errors.New("transport: start after close")
	}
	if t.started {
		return errors.New("transport: already started")
	}
	pl, err := net.Listen("tcp", t.cfg.ListenPeer)
	if err != nil {
		return fmt.Errorf("transport: listen for peers: %w", err)
	}
	t.listeners = append(t.listeners, pl)
	t.peerAddr = pl.Addr()
	var cl net.Listener
	if t.cfg.ListenClient != "" {
		cl, err = net.Listen("tcp", t.cfg.ListenClient)
		if err != nil {
			pl.Close()
			t.listeners = nil
			return fmt.Errorf("transport: listen for clients: %w", err)
		}
		t.listeners = append(t.listeners, cl)
		t.clientAddr = cl.Addr()
	}
	t.started = true
	t.wg.Add(2)
	go t.acceptLoop(pl, "peer", &t.peerSockets, t.peerPending, nil, nil, t.servePeer)
	go t.runSelf()
	if cl != nil {
		t.wg.Add(1)
		go t.acceptLoop(cl, "client", &t.clientSockets, t.clientPending, t.admitClient, t.releaseClientSlot, t.serveClient)
	}
	for _, l := range t.links {
		if l != nil {
			t.wg.Add(1)
			go t.runLink(l)
		}
	}
	t.log.Info("transport started", "peer_addr", addrString(t.peerAddr), "client_addr", addrString(t.clientAddr))
	return nil
}

// Close stops every goroutine and closes every connection. Inbound and
// ClientInbound are closed once nothing can send on them anymore.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	listeners := t.listeners
	conns := make([]net.Conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()

	t.cancel()
	for _, l := range listeners {
		l.Close()
	}
	for _, c := range conns {
		c.Close()
	}
	t.wg.Wait()
	close(t.inbound)
	close(t.clientInbound)
	if t.collector != nil {
		t.cfg.Metrics.Unregister(t.collector)
	}
	return nil
}

// PeerAddr is the bound peer listen address (nil before Start).
func (t *Transport) PeerAddr() net.Addr {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.peerAddr
}

// ClientAddr is the bound client listen address (nil before Start or
// without a client listener).
func (t *Transport) ClientAddr() net.Addr {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.clientAddr
}

// Inbound delivers replica messages, including those sent to Self.
func (t *Transport) Inbound() <-chan Inbound { return t.inbound }

// ClientInbound delivers client messages.
func (t *Transport) ClientInbound() <-chan ClientInbound { return t.clientInbound }

// Send queues m for replica to and returns at once. When the link's queue
// is full, m is dropped and counted. A message to Self is delivered through
// Inbound without encoding: the caller must not modify m afterwards.
func (t *Transport) Send(to uint32, m *wire.Message) {
	if int(to) >= len(t.links) {
		t.log.Warn("send to unknown replica dropped", "to", to)
		return
	}
	if to == t.cfg.Self {
		if !t.selfQueue.push(queuedFrame{msg: m}) {
			t.peerCounters[to].droppedQueueFull.Add(1)
		}
		return
	}
	frame, ok := t.encode(m)
	if !ok {
		t.peerCounters[to].droppedOther.Add(1)
		return
	}
	t.enqueue(to, frame)
}

// Broadcast queues m, encoded once, for every other replica.
func (t *Transport) Broadcast(m *wire.Message) {
	frame, ok := t.encode(m)
	for i, l := range t.links {
		switch {
		case l == nil:
		case !ok:
			t.peerCounters[i].droppedOther.Add(1)
		default:
			t.enqueue(uint32(i), frame)
		}
	}
}

func (t *Transport) encode(m *wire.Message) ([]byte, bool) {
	frame, err := wire.AppendFrame(nil, m)
	if err != nil {
		t.log.Error("message not sent: cannot encode", "err", err)
		return nil, false
	}
	if len(frame)-frameHeaderBytes > t.cfg.MaxFrameBytes {
		// The receiver would drop the whole connection for it.
		t.log.Error("message not sent: exceeds frame limit", "bytes", len(frame)-frameHeaderBytes, "max_bytes", t.cfg.MaxFrameBytes)
		return nil, false
	}
	return frame, true
}

func (t *Transport) enqueue(to uint32, frame []byte) {
	c := &t.peerCounters[to]
	drop, delay := t.cfg.Emulator.plan(peerLinkKey(to))
	if drop {
		c.droppedEmulated.Add(1)
		return
	}
	f := queuedFrame{frame: frame}
	if delay > 0 {
		f.readyAt = time.Now().Add(delay)
	}
	if !t.links[to].queue.push(f) {
		c.droppedQueueFull.Add(1)
	}
}

// runSelf delivers messages sent to Self. It has its own bounded queue so
// that Send to Self never blocks, even from the goroutine that drains
// Inbound.
func (t *Transport) runSelf() {
	defer t.wg.Done()
	c := &t.peerCounters[t.cfg.Self]
	var batch []queuedFrame
	for {
		batch, _ = t.selfQueue.popReady(time.Now(), batch[:0])
		for i := range batch {
			select {
			case t.inbound <- Inbound{From: t.cfg.Self, Msg: batch[i].msg}:
				c.framesReceived.Add(1)
			case <-t.ctx.Done():
				return
			}
		}
		clear(batch)
		if len(batch) > 0 {
			continue
		}
		select {
		case <-t.selfQueue.wake:
		case <-t.ctx.Done():
			return
		}
	}
}

// track registers an open socket so Close can close it. It refuses (and
// closes) sockets once the transport is closed.
func (t *Transport) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		c.Close()
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *Transport) untrack(c net.Conn) {
	c.Close()
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
}

// acceptLoop accepts connections until the listener closes. admit, when
// set, may refuse a connection before any work is spent on it; serve runs
// in its own goroutine and owns the connection, and must call release
// once the handshake is over.
func (t *Transport) acceptLoop(l net.Listener, kind string, sockets *socketCounters, pending *handshakeBudget,
	admit func(source) (refuseReason, bool), unadmit func(), serve func(c net.Conn, release func())) {
	defer t.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			if t.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors and the like: wait instead of spinning.
			t.log.Warn("accept failed", "listener", kind, "err", err)
			select {
			case <-time.After(50 * time.Millisecond):
			case <-t.ctx.Done():
				return
			}
			continue
		}
		c = countBytes(c, sockets)
		src := sourceOf(c)
		if admit != nil {
			if reason, ok := admit(src); !ok {
				t.refuse(c, kind, src, reason)
				continue
			}
		}
		release, ok := pending.acquire(src)
		if !ok {
			t.refuse(c, kind, src, refusedHandshakeBudget)
			if unadmit != nil {
				unadmit()
			}
			continue
		}
		if !t.track(c) {
			release()
			if unadmit != nil {
				unadmit()
			}
			return
		}
		t.wg.Add(1)
		go serve(c, release)
	}
}

// refuse closes a connection a limit keeps out, counting it and logging
// at most once per source prefix and reason per interval.
func (t *Transport) refuse(c net.Conn, kind string, src source, reason refuseReason) {
	t.refused[reason].Add(1)
	t.rlog.Log(slog.LevelInfo, src.limitKey("refused "+reason.String()), "connection refused: limit reached",
		"listener", kind, "reason", reason.String(), "remote", c.RemoteAddr().String())
	c.Close()
}

// firstByteConn hands out a byte already read before reading on.
type firstByteConn struct {
	net.Conn
	first []byte
}

func (c *firstByteConn) Read(p []byte) (int, error) {
	if len(c.first) > 0 && len(p) > 0 {
		p[0] = c.first[0]
		c.first = nil
		return 1, nil
	}
	return c.Conn.Read(p)
}

// handshake runs the server side of TLS on raw: the first byte must
// arrive within FirstByteTimeout and the whole handshake end within
// HandshakeTimeout of the accept. It then gives back the pending-handshake
// slot acceptLoop took.
func (t *Transport) handshake(raw net.Conn, cfg *tls.Config, release func()) (*tls.Conn, error) {
	defer release()
	start := time.Now()
	if err := raw.SetReadDeadline(start.Add(min(t.cfg.FirstByteTimeout, t.cfg.HandshakeTimeout))); err != nil {
		return nil, err
	}
	first := make([]byte, 1)
	if _, err := io.ReadFull(raw, first); err != nil {
		if isTimeout(err) {
			return nil, fmt.Errorf("transport: no byte within %v of the connection", t.cfg.FirstByteTimeout)
		}
		return nil, err
	}
	if err := raw.SetDeadline(start.Add(t.cfg.HandshakeTimeout)); err != nil {
		return nil, err
	}
	tc := tls.Server(&firstByteConn{Conn: raw, first: first}, cfg)
	ctx, cancel := context.WithTimeout(t.ctx, time.Until(start.Add(t.cfg.HandshakeTimeout)))
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	if err := raw.SetDeadline(time.Time{}); err != nil {
		return nil, err
	}
	return tc, nil
}

// handshakeFailed counts a failed handshake and logs it, at most once per
// source prefix per interval: an attacker must not control the log volume.
func (t *Transport) handshakeFailed(kind string, raw net.Conn, err error) {
	t.handshakeFailures.Add(1)
	if t.ctx.Err() != nil {
		return
	}
	t.rlog.Log(slog.LevelWarn, sourceOf(raw).limitKey(kind+" handshake"), kind+" handshake refused",
		"remote", raw.RemoteAddr().String(), "reason", err)
}

// logEnd logs once why a connection ended.
func (t *Transport) logEnd(msg string, err error, attrs ...any) {
	attrs = append(attrs, "reason", err)
	switch {
	case t.ctx.Err() != nil || errors.Is(err, errStopped) || errors.Is(err, errReplaced) || errors.Is(err, errEvicted):
		t.log.Debug(msg, attrs...)
	case isCleanEOF(err):
		t.log.Info(msg, attrs...)
	default:
		t.log.Warn(msg, attrs...)
	}
}

// addrString logs an address as a string (nil: empty), never as a struct.
func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
