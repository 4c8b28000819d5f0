package transport

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pompe-bft/pompe/internal/wire"
)

// queuedFrame is one frame waiting on a link. readyAt is when an emulated
// delay ends (zero: now). msg is set instead of frame on the local link,
// which needs no encoding.
type queuedFrame struct {
	frame   []byte
	msg     *wire.Message
	readyAt time.Time
}

// queueInitialFrames is the ring size a queue starts with; it doubles up to
// the queue's bound, so thousands of idle client connections stay cheap.
const queueInitialFrames = 16

// queueShrinkFrames: an emptied ring larger than this is released, so one
// burst does not pin memory for the life of the connection.
const queueShrinkFrames = 1024

// sendQueue is a bounded FIFO of frames for one link. Producers never
// block; one consumer (the link's writer) takes what is ready.
type sendQueue struct {
	mu        sync.Mutex
	ring      []queuedFrame
	head, n   int
	bytes     int
	maxFrames int
	maxBytes  int
	lastReady time.Time
	// shared, when set, is a byte budget this queue shares with others
	// (every client queue): a push that would take it past sharedMax is
	// refused unless the queue is empty.
	shared    *atomic.Int64
	sharedMax int64
	closed    bool // released: pushes are refused
	// wake holds at most one pending signal for the consumer.
	wake chan struct{}
}

func newSendQueue(maxFrames, maxBytes int) *sendQueue {
	return &sendQueue{
		maxFrames: max(1, maxFrames),
		maxBytes:  max(1, maxBytes),
		wake:      make(chan struct{}, 1),
	}
}

// push appends f unless the queue is full. A frame never becomes ready
// before the one ahead of it: a link is a stream, and jitter must not
// reorder it.
func (q *sendQueue) push(f queuedFrame) bool {
	size := len(f.frame)
	q.mu.Lock()
	if q.closed || q.n >= q.maxFrames || (q.n > 0 && q.bytes+size > q.maxBytes) {
		q.mu.Unlock()
		return false
	}
	if q.shared != nil {
		if q.n > 0 && q.shared.Load()+int64(size) > q.sharedMax {
			q.mu.Unlock()
			return false
		}
		q.shared.Add(int64(size))
	}
	if q.n == len(q.ring) {
		q.grow()
	}
	if f.readyAt.Before(q.lastReady) {
		f.readyAt = q.lastReady
	}
	q.lastReady = f.readyAt
	q.ring[(q.head+q.n)%len(q.ring)] = f
	q.n++
	q.bytes += size
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

func (q *sendQueue) grow() {
	size := min(max(queueInitialFrames, 2*len(q.ring)), q.maxFrames)
	ring := make([]queuedFrame, size)
	for i := 0; i < q.n; i++ {
		ring[i] = q.ring[(q.head+i)%len(q.ring)]
	}
	q.ring, q.head = ring, 0
}

// popReady moves the frames ready at now to out, in order. If frames
// remain, next is when the first of them becomes ready.
func (q *sendQueue) popReady(now time.Time, out []queuedFrame) (_ []queuedFrame, next time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n > 0 {
		f := &q.ring[q.head]
		if f.readyAt.After(now) {
			return out, f.readyAt
		}
		out = append(out, *f)
		q.bytes -= len(f.frame)
		if q.shared != nil {
			q.shared.Add(-int64(len(f.frame)))
		}
		*f = queuedFrame{}
		q.head = (q.head + 1) % len(q.ring)
		q.n--
	}
	q.head = 0
	if len(q.ring) > queueShrinkFrames {
		q.ring = nil
	}
	return out, time.Time{}
}

// size reports the queued frames and bytes.
func (q *sendQueue) size() (frames, bytes int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n, q.bytes
}

// release gives back the shared budget of frames never sent (the
// connection ended with them queued) and refuses later pushes.
func (q *sendQueue) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	if q.shared != nil {
		q.shared.Add(-int64(q.bytes))
	}
	clear(q.ring)
	q.n, q.bytes, q.head = 0, 0, 0
}
