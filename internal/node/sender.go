package node

import (
	"context"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/outbox"
)

// outgoing is what one loop turn wants sent, and whether the writes of that
// turn (already applied without sync) must be synced first. Early client
// messages need only the turn's Barrier writes (and earlier ones) synced.
type outgoing struct {
	sync     bool
	barrier  bool
	messages []hotstuff.Envelope
	client   []outbox.ClientEnvelope
	bytes    int64  // encoded size of messages and client, as charged to the queue
	seq      uint64 // the turn's number in the send pipeline (set there)
}

// sendQueueTurns bounds the turns waiting in each stage of the send
// pipeline (the loop's queue to the dispatcher, the dispatcher's to the
// syncer); the loop blocks (back-pressure) when the disk falls that far
// behind.
const sendQueueTurns = 1024

// sendQueueBytes bounds what those turns hold, encoded: the loop blocks
// (the same back-pressure) before queuing a turn that would take the queue
// past it. A turn larger than the whole bound (replay after a restart can
// return up to execution.Config.MaxReplyBytesPerCall of replies) is charged
// the whole bound, so it waits for an empty queue and then goes alone.
// With it, a stalled disk holds at most this much in the sender, whatever
// the turns carried (a 4 MiB Executed reply per batch, 16 MiB fetch
// responses).
const sendQueueBytes = 256 << 20

// sendBudget is the byte bound of the sender's queue.
type sendBudget struct {
	sem *semaphore.Weighted
	max int64
}

func newSendBudget(max int64) sendBudget {
	return sendBudget{sem: semaphore.NewWeighted(max), max: max}
}

// charge sizes o and waits until the queue has room for it; false if ctx
// ended first.
func (b sendBudget) charge(ctx context.Context, o *outgoing) bool {
	var n int
	for _, e := range o.messages {
		if e.Msg != nil {
			n += proto.Size(e.Msg)
		}
	}
	for _, e := range o.client {
		if e.Msg != nil {
			n += proto.Size(e.Msg)
		}
	}
	o.bytes = min(int64(n), b.max)
	return b.sem.Acquire(ctx, o.bytes) == nil
}

// release gives back what o was charged, once the sender is done with it.
func (b sendBudget) release(o *outgoing) { b.sem.Release(o.bytes) }

// maxTurnsPerSync bounds how many queued turns share one fsync.
const maxTurnsPerSync = 4096

// sendPipeline syncs and sends the loop's turns, off the state machine's
// goroutine, in two stages:
//
//   - the dispatcher takes each turn as soon as the loop queues it and sends
//     its early messages at once, unless a turn with Barrier writes (this one
//     or an earlier one) is not yet durable;
//   - the syncer makes everything written so far durable with one fsync for
//     all the turns queued meanwhile (group commit), then sends the rest of
//     those turns' messages in order, the early ones held back by a barrier
//     included.
//
// Persist-before-send holds for every message that depends on a write, and
// while a sync runs the loop keeps processing inputs, so slow disks batch
// more turns into one sync instead of stalling the replica. Early messages
// (timestamp replies, collects, Executed replies) depend on no unsynced write
// but the barrier's: with one stage they waited behind whatever sync was
// running when their turn was queued, 1.4 ms at the median and 5 ms at p90
// with four replicas sharing a disk, and every timestamp round paid it.
type sendPipeline struct {
	sync       func() error // makes every write applied so far durable
	send       func(hotstuff.Envelope)
	sendClient func(outbox.ClientEnvelope)
	budget     sendBudget
	synced     func(took time.Duration, turns int) // after each sync
	failed     func(error)                         // once, when a sync fails

	durable atomic.Uint64 // sequence number of the newest turn known durable
	stopped atomic.Bool   // a sync failed: nothing more is sent
}

// run carries out the turns of q until it closes and every turn is done.
func (p *sendPipeline) run(q <-chan outgoing) {
	toSync := make(chan outgoing, sendQueueTurns)
	syncerDone := make(chan struct{})
	go func() {
		defer close(syncerDone)
		p.syncer(toSync)
	}()
	var seq, lastBarrier uint64
	for o := range q {
		seq++
		o.seq = seq
		if o.barrier {
			lastBarrier = seq
		}
		// Every barrier up to this turn is durable: its early messages
		// need nothing the running sync is making durable.
		if lastBarrier <= p.durable.Load() && !p.stopped.Load() {
			p.sendEarly(o)
		}
		toSync <- o
	}
	close(toSync)
	<-syncerDone
}

// syncer is the second stage of run.
func (p *sendPipeline) syncer(in <-chan outgoing) {
	batch := make([]outgoing, 0, 64)
	for first := range in {
		batch = append(batch[:0], first)
	more:
		for len(batch) < maxTurnsPerSync {
			select {
			case o, ok := <-in:
				if !ok {
					break more
				}
				batch = append(batch, o)
			default:
				break more
			}
		}
		needSync := false
		for _, o := range batch {
			needSync = needSync || o.sync
		}
		// Every barrier before this batch is durable (earlier batches were
		// synced): early messages go now, up to the batch's first turn with
		// writes they may depend on.
		for _, o := range batch {
			if o.barrier {
				break
			}
			p.sendEarly(o)
		}
		if needSync {
			t := time.Now()
			if err := p.sync(); err != nil {
				p.stopped.Store(true)
				p.failed(err)
				// Drain without sending: these messages depend on lost writes.
				for _, o := range batch {
					p.budget.release(&o)
				}
				for o := range in {
					p.budget.release(&o)
				}
				return
			}
			p.synced(time.Since(t), len(batch))
		}
		p.durable.Store(batch[len(batch)-1].seq)
		for _, o := range batch {
			for _, e := range o.messages {
				if e.Msg != nil { // nil: sent early
					p.send(e)
				}
			}
			for _, e := range o.client {
				if e.Msg != nil {
					p.sendClient(e)
				}
			}
			p.budget.release(&o)
		}
	}
}

// sendEarly sends the early messages of one turn and blanks them, so the
// pass after the sync skips them.
func (p *sendPipeline) sendEarly(o outgoing) {
	for i := range o.messages {
		if e := &o.messages[i]; e.Early && e.Msg != nil {
			p.send(*e)
			e.Msg = nil
		}
	}
	for i := range o.client {
		if e := &o.client[i]; e.Early && e.Msg != nil {
			p.sendClient(*e)
			e.Msg = nil
		}
	}
}

// sender runs the send pipeline of this node over q; done closes when every
// queued turn was carried out (or dropped after a failed sync, which is
// reported on failed).
func (n *Node) sender(q <-chan outgoing, budget sendBudget, failed chan<- error, done chan<- struct{}) {
	defer close(done)
	p := &sendPipeline{
		sync: func() error {
			if err := n.checkDisk(); err != nil {
				return err
			}
			return n.store.Apply(nil, true)
		},
		send: func(e hotstuff.Envelope) {
			if e.To == hotstuff.Broadcast {
				n.tr.Broadcast(e.Msg)
			} else {
				n.tr.Send(uint32(e.To), e.Msg)
			}
		},
		sendClient: func(e outbox.ClientEnvelope) { n.tr.SendClient(e.To, e.Msg) },
		budget:     budget,
		synced: func(took time.Duration, turns int) {
			n.m.persistSeconds.Observe(took.Seconds())
			n.m.syncTurns.Observe(float64(turns))
		},
		failed: func(err error) {
			n.log.Error("storage sync failed; stopping so that nothing unpersisted is acknowledged", "err", err)
			failed <- err
		},
	}
	p.run(q)
}
