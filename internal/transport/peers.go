package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"time"

	"github.com/pompe-bft/pompe/internal/wire"
)

// errReplaced ends an inbound connection superseded by a newer one from
// the same replica.
var errReplaced = errors.New("transport: replaced by a newer connection from the same replica")

// errEvicted ends a client connection pushed out by newer ones of the same
// client beyond the per-client limit.
var errEvicted = errors.New("transport: evicted by newer connections of the same client")

// errUnexpectedData ends an outbound connection on which the peer wrote:
// outbound connections carry traffic one way only.
var errUnexpectedData = errors.New("transport: peer wrote on a send-only connection")

// peerLink is the sending side toward one replica. Its queue outlives
// connections, so frames queued while the peer is away go out when it is
// back (within the queue bound).
type peerLink struct {
	id       uint32
	addr     string
	tls      *tls.Config
	queue    *sendQueue
	up       atomic.Bool
	counters *linkCounters
}

// runLink keeps one outbound connection to l's replica, redialing with
// jittered exponential back-off.
func (t *Transport) runLink(l *peerLink) {
	defer t.wg.Done()
	log := t.log.With("peer", l.id, "addr", l.addr)
	backoff := t.cfg.DialBackoffMin
	connected := false
	failures := 0
	for t.ctx.Err() == nil {
		raw, tc, err := t.dialPeer(l)
		if err != nil {
			if t.ctx.Err() != nil {
				return
			}
			l.counters.connErrors.Add(1)
			failures++
			// The first failure of a streak is news (though normal while a
			// cluster starts); the rest are not. A genesis mismatch logs
			// its own ERROR, once.
			switch {
			case t.dialGenesisMismatch(l, err):
			case failures == 1:
				log.Info("dial failed", "err", err)
			default:
				log.Debug("dial failed", "err", err, "attempt", failures)
			}
		} else {
			if connected {
				l.counters.reconnects.Add(1)
			}
			connected = true
			failures = 0
			t.genesisLogged.forget(fmt.Sprint("out ", l.id))
			log.Info("connected to peer")
			began := time.Now()
			err = t.serveOutbound(l, raw, tc)
			if t.ctx.Err() != nil {
				return
			}
			l.counters.connErrors.Add(1)
			t.logEnd("outbound peer connection closed", err, "peer", l.id, "remote", raw.RemoteAddr().String())
			// A connection that lived a while proves the peer healthy; one
			// dropped at once should not be redialed in a tight loop.
			if time.Since(began) > t.cfg.DialBackoffMax {
				backoff = t.cfg.DialBackoffMin
			}
		}
		if !t.sleep(jitter(backoff)) {
			return
		}
		backoff = min(2*backoff, t.cfg.DialBackoffMax)
	}
}

// jitter spreads d over [d/2, d] so that replicas restarted together do
// not redial in lockstep.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

func (t *Transport) sleep(d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-t.ctx.Done():
		return false
	}
}

func (t *Transport) dialPeer(l *peerLink) (net.Conn, *tls.Conn, error) {
	ctx, cancel := context.WithTimeout(t.ctx, t.cfg.DialTimeout)
	defer cancel()
	var d net.Dialer
	// On loopback, connect from this replica's own genesis IP, so that the
	// peer's listener recognises it and admits it from the pool reserved
	// for genesis peers (reservedPeerIPs). Elsewhere the system's choice of
	// source address stands.
	if ip, ok := literalIP(t.cfg.PeerAddrs[t.cfg.Self]); ok && ip.IsLoopback() {
		d.LocalAddr = &net.TCPAddr{IP: ip.AsSlice()}
	}
	conn, err := d.DialContext(ctx, "tcp", l.addr)
	if err != nil {
		return nil, nil, err
	}
	raw := countBytes(conn, &t.peerSockets)
	if !t.track(raw) {
		return nil, nil, net.ErrClosed
	}
	tc := tls.Client(raw, l.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		t.untrack(raw)
		return nil, nil, fmt.Errorf("handshake: %w", err)
	}
	return raw, tc, nil
}

// serveOutbound writes l's queue to one connection until it fails. A
// watcher reads the connection so that a peer that goes away is noticed at
// once, not at the next write.
func (t *Transport) serveOutbound(l *peerLink, raw net.Conn, tc *tls.Conn) error {
	defer t.untrack(raw)
	l.up.Store(true)
	defer l.up.Store(false)
	var reason firstError
	dead := make(chan struct{})
	watcherDone := make(chan struct{})
	go func() {
		defer close(watcherDone)
		var b [1]byte
		_, err := tc.Read(b[:])
		if err == nil {
			err = errUnexpectedData
		}
		reason.set(err)
		close(dead)
		raw.Close()
	}()
	key := peerLinkKey(l.id)
	blocked := func() bool { return t.cfg.Emulator.blocked(key) }
	if t.cfg.Emulator == nil {
		blocked = nil
	}
	err := runWriter(dead, l.queue, tc, t.cfg.WriteTimeout, peerBufferBytes, blocked, l.counters)
	if !errors.Is(err, errStopped) {
		reason.set(err)
	}
	raw.Close()
	<-watcherDone
	return reason.get()
}

// inboundPeer is the current read-only connection from one replica.
type inboundPeer struct {
	raw      net.Conn
	replaced atomic.Bool
}

// servePeer authenticates an inbound replica connection and reads from it.
func (t *Transport) servePeer(raw net.Conn, release func()) {
	defer t.wg.Done()
	defer t.untrack(raw)
	tc, err := t.handshake(raw, t.peerServerTLS, release)
	if err != nil {
		t.handshakeFailed("peer", raw, err)
		return
	}
	id, err := committeeMember(tc.ConnectionState(), t.cfg.Committee, t.cfg.Self)
	if err != nil { // VerifyConnection already checked; kept for defence in depth
		t.handshakeFailed("peer", raw, err)
		return
	}
	me := &inboundPeer{raw: raw}
	t.mu.Lock()
	old := t.inboundPeers[id]
	t.inboundPeers[id] = me
	t.mu.Unlock()
	if old != nil {
		old.replaced.Store(true)
		old.raw.Close()
	}
	c := &t.peerCounters[id]
	// Peers may be quiet for long (an idle cluster), so there is no idle
	// timeout; a frame once started must finish.
	frames := &frameReservation[uint32]{b: t.peerReading, key: id, stop: t.ctx.Done()}
	deadlines := readDeadlines{conn: raw, frame: t.cfg.FrameTimeout, reserve: frames.reserve}
	err = readFrames(tc, t.cfg.MaxFrameBytes, peerBufferBytes, deadlines, c, func(body []byte) error {
		// The budget is taken before decoding, so a peer over its share
		// waits with only the raw frame in memory.
		release, ok := t.peerBudget.acquire(id, len(body), t.ctx.Done())
		if !ok {
			return errStopped
		}
		m, err := wire.DecodeMessage(body)
		if err != nil {
			release()
			return err
		}
		if t.cfg.InspectPeer != nil {
			t.cfg.InspectPeer(id, m)
		}
		select {
		case t.inbound <- Inbound{From: id, Msg: m, release: release}:
			return nil
		case <-t.ctx.Done():
			release()
			return errStopped
		}
	})
	if errors.Is(err, errFrameTimeout) {
		t.closedConns[closedFrameTimeout].Add(1)
	}
	t.mu.Lock()
	if t.inboundPeers[id] == me {
		delete(t.inboundPeers, id)
	}
	t.mu.Unlock()
	if me.replaced.Load() {
		err = errReplaced
	} else if t.ctx.Err() == nil && !isCleanEOF(err) {
		c.connErrors.Add(1)
	}
	t.logEnd("inbound peer connection closed", err, "peer", id, "remote", raw.RemoteAddr().String())
}

func isCleanEOF(err error) bool {
	return errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF)
}
