package transport

import (
	"errors"
	"net"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// clientConn is one authenticated client connection on the replica side.
type clientConn struct {
	id      crypto.ClientID
	raw     net.Conn
	queue   *sendQueue
	evicted bool // guarded by Transport.mu
}

// admitClient takes a client slot if one is free.
func (t *Transport) admitClient() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.clientSlots >= t.cfg.MaxClients {
		return false
	}
	t.clientSlots++
	return true
}

func (t *Transport) releaseClientSlot() {
	t.mu.Lock()
	t.clientSlots--
	t.mu.Unlock()
}

// serveClient authenticates a client connection, then reads from it here
// while a writer goroutine drains its send queue.
func (t *Transport) serveClient(raw net.Conn) {
	defer t.wg.Done()
	defer t.releaseClientSlot()
	defer t.untrack(raw)
	tc, err := t.handshake(raw, t.clientServerTLS, t.clientPending)
	if err != nil {
		t.handshakeFailures.Add(1)
		t.logEnd("client handshake refused", err, "remote", raw.RemoteAddr())
		return
	}
	pub, err := PeerKey(tc.ConnectionState())
	if err != nil {
		t.handshakeFailures.Add(1)
		t.logEnd("client handshake refused", err, "remote", raw.RemoteAddr())
		return
	}
	cc := &clientConn{
		id:    crypto.ClientIDOf(pub),
		raw:   raw,
		queue: newSendQueue(t.cfg.ClientQueueFrames, t.cfg.ClientQueueBytes),
	}
	t.registerClient(cc)
	defer t.unregisterClient(cc)

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
	err = readFrames(tc, t.cfg.ClientMaxFrameBytes, clientBufferBytes, &t.clientCounters, func(body []byte) error {
		m, err := wire.DecodeClientMessage(body)
		if err != nil {
			return err
		}
		select {
		case t.clientInbound <- ClientInbound{Client: cc.id, Msg: m}:
			return nil
		case <-t.ctx.Done():
			return errStopped
		}
	})
	t.mu.Lock()
	if cc.evicted {
		err = errEvicted
	}
	t.mu.Unlock()
	reason.set(err)
	close(stop)
	raw.Close()
	<-writerDone
	err = reason.get()
	if t.ctx.Err() == nil && !isCleanEOF(err) && !errors.Is(err, errEvicted) {
		t.clientCounters.connErrors.Add(1)
	}
	t.logEnd("client connection closed", err, "client", cc.id, "remote", raw.RemoteAddr())
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
		t.clientCounters.droppedQueueFull.Add(1)
		return false
	}
	return true
}
