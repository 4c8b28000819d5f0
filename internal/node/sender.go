package node

import (
	"context"
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
	bytes    int64 // encoded size of messages and client, as charged to the queue
}

// sendQueueTurns bounds the turns waiting for their sync; the loop blocks
// (back-pressure) when the disk falls that far behind.
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

// sender syncs and sends, off the state machine's goroutine. The loop
// applies each turn's writes unsynced (so its own reads see them) and queues
// the turn's messages here; the sender makes everything written so far
// durable with one fsync, then sends the messages of every turn that fsync
// covers, in order. Persist-before-send holds for every message, and while a
// sync is running the loop keeps processing inputs, so slow disks batch more
// turns into one sync instead of stalling the replica.
func (n *Node) sender(q <-chan outgoing, budget sendBudget, failed chan<- error, done chan<- struct{}) {
	defer close(done)
	batch := make([]outgoing, 0, 64)
	for first := range q {
		batch = append(batch[:0], first)
	more:
		for len(batch) < maxTurnsPerSync {
			select {
			case o, ok := <-q:
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
		// Every turn before this batch is durable: early messages go now,
		// up to the first turn whose writes they may depend on.
		for _, o := range batch {
			if o.barrier {
				break
			}
			n.sendEarly(o)
		}
		if needSync {
			t := time.Now()
			err := n.checkDisk()
			if err == nil {
				err = n.store.Apply(nil, true)
			}
			if err != nil {
				n.log.Error("storage sync failed; stopping so that nothing unpersisted is acknowledged", "err", err)
				failed <- err
				// Drain without sending: these messages depend on lost writes.
				for _, o := range batch {
					budget.release(&o)
				}
				for o := range q {
					budget.release(&o)
				}
				return
			}
			n.m.persistSeconds.Observe(time.Since(t).Seconds())
			n.m.syncTurns.Observe(float64(len(batch)))
		}
		for _, o := range batch {
			for _, e := range o.messages {
				if e.Msg == nil {
					continue // sent before the sync
				}
				if e.To == hotstuff.Broadcast {
					n.tr.Broadcast(e.Msg)
				} else {
					n.tr.Send(uint32(e.To), e.Msg)
				}
			}
			for _, e := range o.client {
				if e.Msg == nil {
					continue // sent before the sync
				}
				n.tr.SendClient(e.To, e.Msg)
			}
			budget.release(&o)
		}
	}
}

// sendEarly sends the early messages of one turn and blanks them, so the
// pass after the sync skips them.
func (n *Node) sendEarly(o outgoing) {
	for i := range o.messages {
		if e := &o.messages[i]; e.Early && e.Msg != nil {
			if e.To == hotstuff.Broadcast {
				n.tr.Broadcast(e.Msg)
			} else {
				n.tr.Send(uint32(e.To), e.Msg)
			}
			e.Msg = nil
		}
	}
	for i := range o.client {
		if e := &o.client[i]; e.Early && e.Msg != nil {
			n.tr.SendClient(e.To, e.Msg)
			e.Msg = nil
		}
	}
}
