package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/tsproof"
)

// Errors of Submit and Do.
var (
	// ErrClosed: the client was closed (before the command completed).
	ErrClosed = errors.New("client: closed")
	// ErrBusy: MaxPending commands are already pending.
	ErrBusy = errors.New("client: too many pending commands")
	// ErrPayloadTooLarge: the payload exceeds MaxPayloadBytes.
	ErrPayloadTooLarge = fmt.Errorf("client: payload exceeds %d bytes", MaxPayloadBytes)
)

// verifierCacheRoots bounds the verifier's cache of checked root signatures.
const verifierCacheRoots = 4096

// Outcome is what the client learned about one command.
type Outcome struct {
	Seq    uint64
	Result []byte
	// Height, Position and Digest say where the command executed: block
	// height, batch position in the block, digest of the batch attempt
	// that executed it.
	Height     uint64
	Position   uint32
	Digest     batch.Digest
	AssignedTS int64 // microseconds; 0 in baseline mode
	SentAt     time.Time
	// SequencedAt is when a batch attempt holding the command gathered
	// 2f+1 sequence acks, or when its execution was accepted if that came
	// first (execution implies sequencing); zero in baseline mode.
	SequencedAt time.Time
	// AckedAt is when the client itself saw 2f+1 sequence acks for an
	// attempt holding the command; zero when the execution report came
	// first (SequencedAt is then the execution time). Ordering latency is
	// measured from it.
	AckedAt    time.Time
	ExecutedAt time.Time
	Attempts   uint32
	// Duplicate: f+1 replicas agreed the command had already been executed
	// by another attempt of its batch whose report the client never
	// accepted, so Result is unknown.
	Duplicate bool
	// Err is ErrClosed when the client closed first; the other fields are
	// then zero except Seq.
	Err error
}

// command is one submitted command.
type command struct {
	seq     uint64
	payload []byte
	done    func(Outcome)
}

// completion is a finished command on its way to its callback.
type completion struct {
	done    func(Outcome)
	outcome Outcome
}

// Client submits commands to one cluster. Its methods are safe for
// concurrent use.
type Client struct {
	cfg       Config
	log       *slog.Logger
	id        crypto.ClientID
	committee *crypto.Committee
	verifier  *tsproof.Verifier
	n, f      int
	quorum    int // 2f+1
	links     []*link

	inbound   chan inbound
	connected chan uint32
	submitted chan *command
	slots     chan struct{} // one per pending command
	callbacks chan completion

	records    *runlog.ClientRecordWriter
	ownRecords bool

	mu      sync.Mutex
	closed  bool
	nextSeq uint64

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup // links and protocol loop
	callbackW sync.WaitGroup
	closeOnce sync.Once

	counters counters
}

// New connects to every replica and returns once enough of them are
// connected for the mode to make progress (2f+1 in Pompe, f+1 in
// baseline), or fails when ctx ends first. Replicas that are down are
// dialled again in the background; ctx bounds only this first wait.
func New(ctx context.Context, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	com, err := cfg.committee()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:       cfg,
		id:        crypto.ClientIDOf(cfg.Key.Public()),
		committee: com,
		verifier:  tsproof.NewVerifier(com, verifierCacheRoots),
		n:         com.N(),
		f:         com.F(),
		quorum:    com.Quorum(),
		inbound:   make(chan inbound, 4*com.N()*cfg.Inflight+64),
		connected: make(chan uint32, com.N()),
		submitted: make(chan *command, cfg.MaxPending),
		slots:     make(chan struct{}, cfg.MaxPending),
		callbacks: make(chan completion, cfg.MaxPending),
		records:   cfg.Records,
		nextSeq:   cfg.FirstSeq - 1,
	}
	c.log = cfg.Logger.With("client", c.id.String()[:12])
	if cfg.RecordsTo != nil {
		c.records = runlog.NewClientRecordWriter(cfg.RecordsTo)
		c.ownRecords = true
	}
	c.counters.perReplica = make([]replicaCounters, c.n)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	for _, r := range cfg.Replicas {
		l := &link{replica: r, c: c}
		c.links = append(c.links, l)
		c.wg.Add(1)
		go l.run(c.ctx)
	}
	c.wg.Add(1)
	go c.loop()
	c.callbackW.Add(1)
	go c.runCallbacks()

	if err := c.waitConnected(ctx, c.needed()); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// needed is how many live replicas the mode needs.
func (c *Client) needed() int {
	if c.cfg.Mode == modeBaseline {
		return c.f + 1
	}
	return c.quorum
}

func (c *Client) waitConnected(ctx context.Context, want int) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		up := 0
		for _, l := range c.links {
			if l.connected.Load() {
				up++
			}
		}
		if up >= want {
			return nil
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			var errs []error
			for _, l := range c.links {
				if err := l.lastErr(); err != nil {
					errs = append(errs, fmt.Errorf("replica %d: %w", l.replica.ID, err))
				}
			}
			return fmt.Errorf("client: %d of %d replicas connected, need %d: %w", up, c.n, want,
				errors.Join(append([]error{ctx.Err()}, errs...)...))
		}
	}
}

// ID is the client id the replicas know this client by.
func (c *Client) ID() crypto.ClientID { return c.id }

// Submit queues one command and returns at once. done, if not nil, is
// called exactly once with the outcome, from a goroutine of the client that
// runs callbacks one after another: a slow callback delays the next ones
// (and holds its command's pending slot), and a callback must not call Do.
// Submit never blocks: it returns ErrBusy when MaxPending commands are
// already pending, ErrClosed after Close. It returns the command's
// sequence number.
func (c *Client) Submit(payload []byte, done func(Outcome)) (uint64, error) {
	if len(payload) > MaxPayloadBytes {
		return 0, ErrPayloadTooLarge
	}
	select {
	case c.slots <- struct{}{}:
	default:
		return 0, ErrBusy
	}
	seq, err := c.enqueue(payload, done)
	if err != nil {
		<-c.slots
	}
	return seq, err
}

// Do submits one command and waits for its outcome. Unlike Submit it waits
// for a pending slot when the client is busy. When ctx ends first the
// command stays submitted and Do returns ctx's error.
func (c *Client) Do(ctx context.Context, payload []byte) (Outcome, error) {
	if len(payload) > MaxPayloadBytes {
		return Outcome{}, ErrPayloadTooLarge
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return Outcome{}, ctx.Err()
	case <-c.ctx.Done():
		return Outcome{}, ErrClosed
	}
	ch := make(chan Outcome, 1)
	if _, err := c.enqueue(payload, func(o Outcome) { ch <- o }); err != nil {
		<-c.slots
		return Outcome{}, err
	}
	select {
	case o := <-ch:
		return o, o.Err
	case <-ctx.Done():
		return Outcome{}, ctx.Err()
	}
}

// enqueue numbers the command and hands it to the protocol loop. The
// caller holds a slot, so the channel has room.
func (c *Client) enqueue(payload []byte, done func(Outcome)) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, ErrClosed
	}
	c.nextSeq++
	c.submitted <- &command{seq: c.nextSeq, payload: payload, done: done}
	c.counters.submitted.Add(1)
	return c.nextSeq, nil
}

// runCallbacks delivers outcomes, then frees their slots.
func (c *Client) runCallbacks() {
	defer c.callbackW.Done()
	for cb := range c.callbacks {
		if cb.done != nil {
			cb.done(cb.outcome)
		}
		<-c.slots
	}
}

// Close stops the client. Commands still pending complete with ErrClosed
// (their records are written with no execution), the record writer is
// flushed, and every goroutine has ended when Close returns.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.cancel()
		c.wg.Wait()
		close(c.callbacks)
		c.callbackW.Wait()
		if c.records != nil {
			if c.ownRecords {
				err = c.records.Close()
			} else {
				err = c.records.Flush()
			}
		}
	})
	return err
}
