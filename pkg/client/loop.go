package client

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Loop timing.
const (
	maxTick       = 50 * time.Millisecond
	minTick       = 5 * time.Millisecond
	flushInterval = time.Second
	// sequencedTimeoutFactor: after sequencing, a batch waits this many
	// retry timeouts for its execution before a new attempt. Sequenced
	// batches are durable at 2f+1 replicas; only a lost report (or a
	// stalled consensus) needs the new attempt, whose duplicates the
	// replicas remove.
	sequencedTimeoutFactor = 4
)

// engine is the protocol state; only the loop goroutine touches it.
type engine struct {
	c       *Client
	queue   []*command // submitted, not yet in a batch
	queued  []time.Time
	flights []*flight
	digests map[batch.Digest]*attempt

	recordErr error
	lastFlush time.Time
}

// tick is the resolution of retry timers and back-off. The ticker runs
// only while batches are outstanding, so an idle client does not wake.
func (c *Client) tick() time.Duration {
	return min(max(min(c.cfg.RetryTimeout/4, c.cfg.BackoffMin), minTick), maxTick)
}

func (c *Client) loop() {
	defer c.wg.Done()
	e := &engine{c: c, digests: make(map[batch.Digest]*attempt)}
	ticker := time.NewTicker(c.tick())
	ticker.Stop()
	ticking := false
	defer ticker.Stop()
	batchTimer := time.NewTimer(time.Hour)
	batchTimer.Stop()
	defer batchTimer.Stop()
	for {
		select {
		case <-c.ctx.Done():
			e.shutdown()
			return
		case cmd := <-c.submitted:
			e.push(cmd)
		case in := <-c.inbound:
			e.handle(in, time.Now())
		case r := <-c.connected:
			e.resendTo(r)
		case now := <-ticker.C:
			e.onTick(now)
		case <-batchTimer.C:
		}
		if wait := e.launch(time.Now()); wait > 0 {
			batchTimer.Reset(wait)
		}
		if busy := len(e.flights) > 0; busy != ticking {
			ticking = busy
			if busy {
				ticker.Reset(c.tick())
			} else {
				ticker.Stop()
				if time.Since(e.lastFlush) >= flushInterval {
					e.flush()
				}
			}
		}
	}
}

// notifyConnected tells the loop that replica r is connected, so that it
// gets the requests it missed.
func (c *Client) notifyConnected(ctx context.Context, r uint32) {
	select {
	case c.connected <- r:
	case <-ctx.Done():
	}
}

func (e *engine) push(cmd *command) {
	now := time.Now()
	e.queue = append(e.queue, cmd)
	e.queued = append(e.queued, now)
	e.c.counters.pending.Add(1)
	// Take everything already waiting, so a burst forms full batches.
	for {
		select {
		case cmd := <-e.c.submitted:
			e.queue = append(e.queue, cmd)
			e.queued = append(e.queued, now)
			e.c.counters.pending.Add(1)
		default:
			return
		}
	}
}

// launch forms and sends batches while there is room; it returns how long
// to wait for a partial batch to fill, or 0.
func (e *engine) launch(now time.Time) time.Duration {
	cfg := &e.c.cfg
	if len(e.queue) == 0 {
		return 0
	}
	room := e.orderingRoom()
	for len(e.queue) > 0 && len(e.flights) < cfg.Inflight && room > 0 {
		take, bytes := 0, 0
		for take < len(e.queue) && take < cfg.BatchMaxCommands {
			bytes += len(e.queue[take].payload)
			if take > 0 && bytes > maxBatchPayloadBytes {
				break
			}
			take++
		}
		full := take == cfg.BatchMaxCommands || take < len(e.queue)
		if !full {
			if wait := e.queued[0].Add(cfg.BatchMaxDelay).Sub(now); wait > 0 {
				return wait
			}
		}
		cmds := slices.Clone(e.queue[:take])
		clear(e.queue[:take])
		e.queue = e.queue[take:]
		e.queued = e.queued[take:]
		e.start(newFlight(cmds, rand.Uint64(), e.c.id), now)
		room-- // the new batch is being ordered
	}
	return 0
}

// orderingRoom is how many more batches the ordering window
// (Config.OrderingWindow) takes now; without a window, as many as Inflight.
func (e *engine) orderingRoom() int {
	w := e.c.cfg.OrderingWindow
	if w == 0 || e.c.cfg.Mode == modeBaseline {
		return e.c.cfg.Inflight
	}
	for _, fl := range e.flights {
		if fl.phase == phaseTimestamp || fl.phase == phaseSequence || fl.phase == phaseBackoff {
			w--
		}
	}
	return w
}

func (e *engine) start(fl *flight, now time.Time) {
	e.flights = append(e.flights, fl)
	fl.sentAt = now
	fl.backoff = e.c.cfg.BackoffMin
	if e.c.cfg.Mode == modeBaseline {
		e.startBaseline(fl, now)
		return
	}
	e.startAttempt(fl, now)
}

// broadcast sends m to every connected replica.
func (e *engine) broadcast(m *wire.ClientMessage) {
	for _, l := range e.c.links {
		l.send(m)
	}
}

func (e *engine) lookup(raw []byte) *attempt {
	d, err := batch.DigestFromBytes(raw)
	if err != nil {
		return nil
	}
	return e.digests[d]
}

func (e *engine) handle(in inbound, now time.Time) {
	if e.c.cfg.Mode == modeBaseline {
		switch b := in.msg.Body.(type) {
		case *wire.ClientMessage_Rejected:
			e.onRejected(in.from, b.Rejected, now)
		case *wire.ClientMessage_Executed:
			e.onExecuted(in.from, b.Executed, now)
		default:
			e.invalid(in.from, "unexpected message type in baseline mode", "type", typeName(in.msg))
		}
		return
	}
	switch b := in.msg.Body.(type) {
	case *wire.ClientMessage_TimestampReply:
		e.onTimestampReply(in.from, b.TimestampReply, now)
	case *wire.ClientMessage_SequenceAck:
		e.onSequenceAck(in.from, b.SequenceAck, now)
	case *wire.ClientMessage_SequenceReject:
		e.onSequenceReject(in.from, b.SequenceReject, now)
	case *wire.ClientMessage_Rejected:
		e.onRejected(in.from, b.Rejected, now)
	case *wire.ClientMessage_Executed:
		e.onExecuted(in.from, b.Executed, now)
	default:
		e.invalid(in.from, "unexpected message type", "type", typeName(in.msg))
	}
}

func typeName(m *wire.ClientMessage) string {
	if m.Body == nil {
		return "none"
	}
	return string(m.ProtoReflect().WhichOneof(m.ProtoReflect().Descriptor().Oneofs().Get(0)).Name())
}

// invalid counts a reply that failed validation. The first few of each
// replica are logged as warnings: a lying replica must not flood the log.
func (e *engine) invalid(from uint32, why string, attrs ...any) {
	e.c.counters.invalid.Add(1)
	n := e.c.counters.perReplica[from].invalid.Add(1)
	attrs = append([]any{"replica", from, "why", why}, attrs...)
	if n <= 3 {
		e.c.log.Warn("invalid reply from replica", attrs...)
	} else {
		e.c.log.Debug("invalid reply from replica", attrs...)
	}
}

func (e *engine) onExecuted(from uint32, ex *wire.Executed, now time.Time) {
	at := e.lookup(ex.Digest)
	if at == nil {
		return // a batch that completed already, or never ours
	}
	fl := at.fl
	key, err := checkExecuted(fl, ex)
	if err != nil {
		e.invalid(from, "malformed execution report: "+err.Error(), "digest", at.digest.Short())
		return
	}
	vote := at.votes.add(e.c.n, e.c.f+1, from, key, ex)
	if vote == nil {
		return
	}
	e.accept(at, vote.ex, now)
}

func (e *engine) onTick(now time.Time) {
	for _, fl := range slices.Clone(e.flights) {
		e.checkFlight(fl, now)
	}
	if now.Sub(e.lastFlush) >= flushInterval {
		e.flush()
	}
}

// flush pushes written records to their file, so that a live reader sees
// them within flushInterval.
func (e *engine) flush() {
	e.lastFlush = time.Now()
	if e.c.records != nil && e.recordErr == nil {
		if err := e.c.records.Flush(); err != nil {
			e.recordFailed(err)
		}
	}
}

func (e *engine) checkFlight(fl *flight, now time.Time) {
	timeout := e.c.cfg.RetryTimeout
	switch fl.phase {
	case phaseExecuting:
		if fl.left > 0 && !fl.dupSince.IsZero() && now.Sub(fl.dupSince) >= timeout {
			for i := range fl.cmds {
				if !fl.done[i] && fl.dupOf[i].at != nil {
					e.complete(fl, i, fl.dupOf[i].at, fl.dupOf[i].ex, nil, true, now)
				}
			}
			if fl.left == 0 {
				e.finish(fl)
			}
		}
	case phaseBackoff:
		if !now.Before(fl.retryAt) {
			e.startAttempt(fl, now)
		}
	case phaseSubmitted:
		if now.Sub(fl.progressAt) >= timeout {
			e.resendBaseline(fl, now)
		}
	case phaseSequenced:
		if now.Sub(fl.progressAt) >= sequencedTimeoutFactor*timeout {
			e.c.log.Debug("sequenced batch not executed in time; new attempt", "digest", fl.cur.digest.Short())
			e.startAttempt(fl, now)
		}
	default:
		if now.Sub(fl.progressAt) >= timeout {
			e.c.log.Debug("batch made no progress; new attempt", "digest", fl.cur.digest.Short(), "phase", fl.phase)
			e.startAttempt(fl, now)
		}
	}
}

// resendTo sends a (re)connected replica what the current attempts need
// from it.
func (e *engine) resendTo(r uint32) {
	l := e.c.links[r]
	for _, fl := range e.flights {
		at := fl.cur
		switch fl.phase {
		case phaseTimestamp:
			l.send(at.tsReq)
		case phaseSequence:
			l.send(at.seqReq)
		case phaseSubmitted:
			l.send(at.submit)
		}
	}
}
