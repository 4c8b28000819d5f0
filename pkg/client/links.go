package client

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Dial back-off of a replica link.
const (
	dialBackoffMin = 50 * time.Millisecond
	dialBackoffMax = 5 * time.Second
)

// inbound is a message from one replica; the connection names it.
type inbound struct {
	from uint32
	msg  *wire.ClientMessage
}

// link keeps one replica connected: it dials, forwards what the replica
// sends and redials with back-off when the connection ends.
type link struct {
	replica Replica
	c       *Client

	mu   sync.Mutex
	conn *transport.ClientConn
	err  error // why the last dial or connection failed

	connected  atomic.Bool
	dials      atomic.Uint64
	reconnects atomic.Uint64
}

// send queues m on the current connection. A message to a replica that is
// down is lost; the retry timer covers it.
func (l *link) send(m *wire.ClientMessage) bool {
	l.mu.Lock()
	conn := l.conn
	l.mu.Unlock()
	if conn == nil {
		return false
	}
	return conn.Send(m) == nil
}

func (l *link) setConn(conn *transport.ClientConn, err error) {
	l.mu.Lock()
	l.conn = conn
	if err != nil {
		l.err = err
	}
	l.mu.Unlock()
	l.connected.Store(conn != nil)
}

func (l *link) lastErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *link) run(ctx context.Context) {
	defer l.c.wg.Done()
	backoff := dialBackoffMin
	opts := transport.ClientDialOptions{Emulator: l.c.cfg.Emulator, Replica: l.replica.ID, Logger: l.c.log}
	for ctx.Err() == nil {
		l.dials.Add(1)
		conn, err := transport.DialReplica(ctx, l.replica.ClientAddr, l.c.cfg.Key, l.replica.PublicKey, opts)
		if err != nil {
			l.setConn(nil, err)
			if l.dials.Load() == 1 || backoff == dialBackoffMin {
				l.c.log.Info("replica unreachable", "replica", l.replica.ID, "err", err)
			}
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, dialBackoffMax)
			continue
		}
		if l.dials.Load() > 1 {
			l.reconnects.Add(1)
		}
		backoff = dialBackoffMin
		l.setConn(conn, nil)
		l.c.notifyConnected(ctx, l.replica.ID)
		l.forward(ctx, conn)
		l.setConn(nil, conn.Err())
		conn.Close()
		if !sleep(ctx, dialBackoffMin) {
			return
		}
	}
}

// forward hands the connection's messages to the protocol loop until the
// connection or the client ends.
func (l *link) forward(ctx context.Context, conn *transport.ClientConn) {
	for {
		select {
		case m, ok := <-conn.Incoming():
			if !ok {
				return
			}
			select {
			case l.c.inbound <- inbound{from: l.replica.ID, msg: m}:
			case <-ctx.Done():
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
