package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Errors of ClientConn.Send.
var (
	ErrQueueFull = errors.New("transport: send queue full")
	ErrClosed    = errors.New("transport: connection closed")
)

// ClientDialOptions tunes a client connection; zero fields take defaults.
type ClientDialOptions struct {
	MaxFrameBytes    int           // largest frame read; default wire.DefaultMaxFrameBytes
	SendQueueFrames  int           // default DefaultClientQueueFrames
	SendQueueBytes   int           // default DefaultPeerQueueBytes
	RecvQueueFrames  int           // capacity of Incoming; default DefaultClientQueueFrames
	HandshakeTimeout time.Duration // dial to end of TLS; default DefaultDialTimeout (ctx may end it sooner)
	WriteTimeout     time.Duration // default DefaultWriteTimeout
	// Emulator, when set, applies its link to replica Replica to what this
	// connection sends.
	Emulator *LinkEmulator
	Replica  uint32
	Logger   *slog.Logger
}

func (o ClientDialOptions) withDefaults() ClientDialOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxFrameBytes, wire.DefaultMaxFrameBytes)
	def(&o.SendQueueFrames, DefaultClientQueueFrames)
	def(&o.SendQueueBytes, DefaultPeerQueueBytes)
	def(&o.RecvQueueFrames, DefaultClientQueueFrames)
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = DefaultDialTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// ClientConn is a client's connection to one replica. Send never blocks;
// replies arrive on Incoming (or through Recv). It is safe for concurrent
// use.
type ClientConn struct {
	id       crypto.ClientID
	opts     ClientDialOptions
	tc       *tls.Conn
	queue    *sendQueue
	incoming chan *wire.ClientMessage
	counters linkCounters

	stop     chan struct{}
	stopOnce sync.Once
	reason   firstError
	wg       sync.WaitGroup
}

// DialReplica connects to the replica at addr whose genesis key is
// replicaPub, authenticating as key.
func DialReplica(ctx context.Context, addr string, key crypto.PrivateKey, replicaPub crypto.PublicKey,
	opts ClientDialOptions) (*ClientConn, error) {
	opts = opts.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, opts.HandshakeTimeout)
	defer cancel()
	tc, err := DialRawClient(ctx, addr, key, replicaPub)
	if err != nil {
		return nil, err
	}
	c := &ClientConn{
		id:       crypto.ClientIDOf(key.Public()),
		opts:     opts,
		tc:       tc,
		queue:    newSendQueue(opts.SendQueueFrames, opts.SendQueueBytes),
		incoming: make(chan *wire.ClientMessage, opts.RecvQueueFrames),
		stop:     make(chan struct{}),
	}
	c.wg.Add(2)
	go c.readLoop()
	go c.writeLoop()
	return c, nil
}

// ID is the client id the replica knows this connection by.
func (c *ClientConn) ID() crypto.ClientID { return c.id }

func (c *ClientConn) shutdown(err error) {
	c.reason.set(err)
	c.stopOnce.Do(func() {
		close(c.stop)
		// Closing the socket, not the TLS session: a close_notify could
		// block on a replica that stopped reading.
		c.tc.NetConn().Close()
	})
}

func (c *ClientConn) readLoop() {
	defer c.wg.Done()
	defer close(c.incoming)
	err := readFrames(c.tc, c.opts.MaxFrameBytes, clientBufferBytes, readDeadlines{}, &c.counters, func(body []byte) error {
		m, err := wire.DecodeClientMessage(body)
		if err != nil {
			return err
		}
		select {
		case c.incoming <- m:
			return nil
		case <-c.stop:
			return errStopped
		}
	})
	c.shutdown(explainRefusal(err))
	if !errors.Is(c.reason.get(), ErrClosed) {
		c.opts.Logger.Info("connection to replica closed", "remote", c.tc.RemoteAddr().String(), "reason", c.reason.get())
	}
}

// explainRefusal names the likely cause of a replica refusing this client's
// certificate after the handshake (TLS 1.3 reports it on the first read):
// a cluster with a client allowlist that does not list this key.
func explainRefusal(err error) error {
	// The alert arrives as a net.OpError around crypto/tls's unexported
	// alert type, so its text is all there is to match.
	if err != nil && (strings.Contains(err.Error(), "tls: bad certificate") || strings.Contains(err.Error(), "tls: access denied")) {
		return fmt.Errorf("the replica refused this client's key (%w): a cluster with a client allowlist admits only the keys its genesis lists", err)
	}
	return err
}

func (c *ClientConn) writeLoop() {
	defer c.wg.Done()
	key := peerLinkKey(c.opts.Replica)
	var blocked func() bool
	if c.opts.Emulator != nil {
		blocked = func() bool { return c.opts.Emulator.blocked(key) }
	}
	err := runWriter(c.stop, c.queue, c.tc, c.opts.WriteTimeout, clientBufferBytes, blocked, &c.counters)
	c.shutdown(err)
}

// Send queues m and returns at once: ErrQueueFull when the queue is full,
// the connection's end reason once it is closed.
func (c *ClientConn) Send(m *wire.ClientMessage) error {
	select {
	case <-c.stop:
		return c.Err()
	default:
	}
	frame, err := wire.AppendFrame(nil, m)
	if err != nil {
		return err
	}
	drop, delay := c.opts.Emulator.plan(peerLinkKey(c.opts.Replica))
	if drop {
		c.counters.droppedEmulated.Add(1)
		return nil
	}
	f := queuedFrame{frame: frame}
	if delay > 0 {
		f.readyAt = time.Now().Add(delay)
	}
	if !c.queue.push(f) {
		c.counters.droppedQueueFull.Add(1)
		return ErrQueueFull
	}
	return nil
}

// Incoming delivers the replica's messages; it is closed when the
// connection ends.
func (c *ClientConn) Incoming() <-chan *wire.ClientMessage { return c.incoming }

// Recv waits for the next message. After the connection ends it returns
// the reason (io.EOF when the replica closed it cleanly).
func (c *ClientConn) Recv(ctx context.Context) (*wire.ClientMessage, error) {
	select {
	case m, ok := <-c.incoming:
		if !ok {
			return nil, c.Err()
		}
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Done is closed when the connection ends.
func (c *ClientConn) Done() <-chan struct{} { return c.stop }

// Err is why the connection ended (nil while it is open).
func (c *ClientConn) Err() error {
	select {
	case <-c.stop:
	default:
		return nil
	}
	err := c.reason.get()
	if errors.Is(err, errStopped) {
		err = ErrClosed
	}
	return err
}

// Stats returns the connection's counters.
func (c *ClientConn) Stats() LinkStats { return c.counters.snapshot() }

// Close ends the connection and waits for its goroutines.
func (c *ClientConn) Close() error {
	c.shutdown(ErrClosed)
	c.wg.Wait()
	return nil
}

// String names the connection for logs.
func (c *ClientConn) String() string {
	return fmt.Sprintf("client %s -> %s", c.id, c.tc.RemoteAddr())
}
