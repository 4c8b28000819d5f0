package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// clientConn is one authenticated client connection on the replica side.
type clientConn struct {
	id    crypto.ClientID
	src   source
	raw   net.Conn
	queue *sendQueue
	// Why the transport closed it (guarded by Transport.mu); nil when the
	// connection ended on its own.
	evicted bool
	closing error
}

// Errors that end a client connection on the replica's decision.
var (
	errMalformed  = errors.New("transport: malformed frame")
	errSlowClient = errors.New("transport: client does not read its replies (send queue full)")
	errBadProofs  = errors.New("transport: client sent too many bad proofs")
)

// admitClient takes a client slot if one is free and the source is not
// serving a penalty or already holding its share of established
// connections. It runs at accept, before the TLS handshake: a source at its
// per-IP or per-prefix cap that keeps dialling costs the replica an accept
// and a close per dial, not a handshake (a key exchange and a signature
// check each, which one IP redialling hundreds of refused slots turned
// into most of a replica's CPU). countClient checks the same caps again
// after the handshake, for connections admitted while the source was
// below them.
func (t *Transport) admitClient(src source) (refuseReason, bool) {
	if t.penalties.boxed(src.ip, time.Now()) {
		return refusedPenalty, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.clientSlots >= t.cfg.MaxClients:
		return refusedMaxClients, false
	case t.clientsBy.byIP[src.ip] >= t.cfg.MaxClientsPerIP:
		return refusedPerIP, false
	case t.clientsBy.byPrefix[src.prefix] >= t.cfg.MaxClientsPerPrefix:
		return refusedPerPrefix, false
	}
	t.clientSlots++
	return 0, true
}

func (t *Transport) releaseClientSlot() {
	t.mu.Lock()
	t.clientSlots--
	t.mu.Unlock()
}

// countClient takes an established-connection place for src, or reports
// which per-source bound is reached.
func (t *Transport) countClient(src source) (refuseReason, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.clientsBy.byIP[src.ip] >= t.cfg.MaxClientsPerIP:
		return refusedPerIP, false
	case t.clientsBy.byPrefix[src.prefix] >= t.cfg.MaxClientsPerPrefix:
		return refusedPerPrefix, false
	}
	t.clientsBy.byIP[src.ip]++
	t.clientsBy.byPrefix[src.prefix]++
	return 0, true
}

func (t *Transport) uncountClient(src source) {
	t.mu.Lock()
	decrement(t.clientsBy.byIP, src.ip)
	decrement(t.clientsBy.byPrefix, src.prefix)
	t.mu.Unlock()
}

// serveClient authenticates a client connection, then reads from it here
// while a writer goroutine drains its send queue.
func (t *Transport) serveClient(raw net.Conn, release func()) {
	defer t.wg.Done()
	defer t.releaseClientSlot()
	defer t.untrack(raw)
	tc, err := t.handshake(raw, t.clientServerTLS, release)
	if err != nil {
		t.handshakeFailed("client", raw, err)
		return
	}
	pub, err := PeerKey(tc.ConnectionState())
	if err != nil {
		t.handshakeFailed("client", raw, err)
		return
	}
	src := sourceOf(raw)
	if reason, ok := t.countClient(src); !ok {
		t.refuse(raw, "client", src, reason)
		return
	}
	defer t.uncountClient(src)
	cc := &clientConn{
		id:    crypto.ClientIDOf(pub),
		src:   src,
		raw:   raw,
		queue: newSendQueue(t.cfg.ClientQueueFrames, t.cfg.ClientQueueBytes),
	}
	// Every client queue shares ClientSendBytes: a client with a backlog
	// when the total is reached is disconnected as slow, like one over its
	// own bound; clients that read their replies keep empty queues and are
	// never refused a frame.
	cc.queue.shared, cc.queue.sharedMax = &t.clientSendBytes, int64(t.cfg.ClientSendBytes)
	t.registerClient(cc)
	defer func() {
		t.unregisterClient(cc)
		cc.queue.release()
	}()

	var reason firstError
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		key := clientLinkKey(cc.id)
		blocked := func() bool { return t.cfg.Emulator.blocked(key) }
		if t.cfg.Emulator == nil {
			blocked = nil
		}
		err := runWriter(stop, cc.queue, tc, t.cfg.WriteTimeout, clientBufferBytes, blocked, &t.clientCounters)
		if !errors.Is(err, errStopped) {
			reason.set(err)
			raw.Close()
		}
	}()
	frames := &frameReservation[netip.Prefix]{b: t.clientReading, key: src.prefix, stop: t.ctx.Done(),
		pace: func(n int, stop <-chan struct{}) bool { return t.clientRate.pace(src.prefix, n, stop) }}
	deadlines := readDeadlines{conn: raw, idle: t.cfg.ClientIdleTimeout, frame: t.cfg.FrameTimeout,
		reserve: frames.reserve}
	err = readFrames(tc, t.cfg.ClientMaxFrameBytes, clientBufferBytes, deadlines, &t.clientCounters, func(body []byte) error {
		release, ok := t.clientBudget.acquire(src.prefix, len(body), t.ctx.Done())
		if !ok {
			return errStopped
		}
		m, err := wire.DecodeClientMessage(body)
		if err != nil {
			release()
			return fmt.Errorf("%w: %w", errMalformed, err)
		}
		select {
		case t.clientInbound <- ClientInbound{Client: cc.id, Msg: m, release: release, conn: cc, src: src.prefix}:
			return nil
		case <-t.ctx.Done():
			release()
			return errStopped
		}
	})
	t.mu.Lock()
	switch {
	case cc.evicted:
		err = errEvicted
	case cc.closing != nil:
		err = cc.closing
	}
	t.mu.Unlock()
	switch {
	case errors.Is(err, errIdle):
		t.closedConns[closedIdle].Add(1)
	case errors.Is(err, errFrameTimeout):
		t.closedConns[closedFrameTimeout].Add(1)
	}
	if errors.Is(err, errMalformed) || errors.Is(err, wire.ErrFrameTooLarge) || errors.Is(err, errFrameTimeout) {
		// Each violation closes its connection; a source that keeps
		// reconnecting to commit them is refused for a while, so that it
		// cannot make the replica run a TLS handshake per violation.
		t.misbehaved(src, cc.id)
	}
	reason.set(err)
	close(stop)
	raw.Close()
	<-writerDone
	err = reason.get()
	if t.ctx.Err() == nil && !isCleanEOF(err) && !errors.Is(err, errEvicted) {
		t.clientCounters.connErrors.Add(1)
	}
	t.logClientEnd(cc, err)
}

// logClientEnd logs why a client connection ended. Ends a client can cause
// at will (idle, slow, bad proofs, protocol errors) are rate-limited per
// source prefix.
func (t *Transport) logClientEnd(cc *clientConn, err error) {
	attrs := []any{"client", cc.id, "remote", cc.raw.RemoteAddr().String(), "reason", err}
	switch {
	case t.ctx.Err() != nil || errors.Is(err, errStopped) || errors.Is(err, errEvicted):
		t.log.Debug("client connection closed", attrs...)
	case isCleanEOF(err):
		t.log.Debug("client connection closed", attrs...)
	default:
		t.rlog.Log(slog.LevelInfo, cc.src.limitKey("client closed"), "client connection closed", attrs...)
	}
}

// closeClient ends cc for reason, once.
func (t *Transport) closeClient(cc *clientConn, why closeReason, err error) {
	t.mu.Lock()
	first := cc.closing == nil && !cc.evicted
	if first {
		cc.closing = err
	}
	t.mu.Unlock()
	if first {
		t.closedConns[why].Add(1)
		cc.raw.Close()
	}
}

// ReportBadProof tells the transport that m carried a proof that failed
// verification. A correct client verifies every certificate before it
// builds a proof, so bad proofs come from faulty or hostile clients. After
// BadProofLimit reports within BadProofWindow from one source IP, every
// connection of m's client is closed and the IP may not open client
// connections for a while (1 s, doubling per offence up to a minute).
func (t *Transport) ReportBadProof(m ClientInbound) {
	cc := m.conn
	if cc == nil {
		return
	}
	if !t.misbehaved(cc.src, cc.id) {
		return
	}
	t.mu.Lock()
	conns := append([]*clientConn(nil), t.clients[cc.id]...)
	t.mu.Unlock()
	if len(conns) == 0 {
		conns = []*clientConn{cc}
	}
	for _, c := range conns {
		t.closeClient(c, closedBadProofs, errBadProofs)
	}
}

// misbehaved records an offence (a bad proof, a malformed or oversized
// frame, a frame left unfinished) by a client from src, and boxes src once
// it reaches BadProofLimit within BadProofWindow. It reports whether src
// was boxed now.
func (t *Transport) misbehaved(src source, id crypto.ClientID) bool {
	now := time.Now()
	if !t.badProofs.add(src.ip, now) {
		return false
	}
	d := t.penalties.punish(src.ip, now)
	t.rlog.Log(slog.LevelWarn, src.limitKey("misbehaving"), "client source refused for repeated protocol violations",
		"client", id, "ip", src.ip.String(), "refused_for", d)
	return true
}

// registerClient adds cc as the client's newest connection, evicting the
// oldest beyond the per-client limit.
func (t *Transport) registerClient(cc *clientConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	conns := append(t.clients[cc.id], cc)
	for len(conns) > t.cfg.MaxConnsPerClient {
		conns[0].evicted = true
		conns[0].raw.Close()
		conns = conns[1:]
	}
	t.clients[cc.id] = conns
}

func (t *Transport) unregisterClient(cc *clientConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	conns := t.clients[cc.id]
	for i, c := range conns {
		if c == cc {
			conns = append(conns[:i:i], conns[i+1:]...)
			break
		}
	}
	if len(conns) == 0 {
		delete(t.clients, cc.id)
	} else {
		t.clients[cc.id] = conns
	}
}

// SendClient queues m for the client's newest connection and returns at
// once. It reports false, dropping m, when the client has no connection or
// its queue is full.
func (t *Transport) SendClient(id crypto.ClientID, m *wire.ClientMessage) bool {
	t.mu.Lock()
	var cc *clientConn
	if conns := t.clients[id]; len(conns) > 0 {
		cc = conns[len(conns)-1]
	}
	t.mu.Unlock()
	if cc == nil {
		t.clientCounters.droppedOther.Add(1)
		return false
	}
	frame, err := wire.AppendFrame(nil, m)
	if err != nil {
		t.clientCounters.droppedOther.Add(1)
		t.log.Error("client message not sent: cannot encode", "client", id, "err", err)
		return false
	}
	drop, delay := t.cfg.Emulator.plan(clientLinkKey(id))
	if drop {
		// Lost in the emulated network: the sender cannot tell.
		t.clientCounters.droppedEmulated.Add(1)
		return true
	}
	f := queuedFrame{frame: frame}
	if delay > 0 {
		f.readyAt = time.Now().Add(delay)
	}
	if !cc.queue.push(f) {
		// A client that does not read its replies is disconnected (it
		// reconnects and asks again) rather than silently losing them.
		t.clientCounters.droppedQueueFull.Add(1)
		t.closeClient(cc, closedSlow, errSlowClient)
		return false
	}
	return true
}
