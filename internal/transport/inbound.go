package transport

import (
	"sync"
)

// inboundBudget bounds the bytes of received messages that the replica has
// not finished with yet: those waiting in the inbound channel, in the
// node's pre-verification stage, and in the state machine's current turn.
// A message holds its size (the frame's length, about what its decoded
// form retains) from the moment it is decoded until the consumer calls
// Release on it.
//
// Two bounds: a total, and a share per sender (a peer, or a client source
// prefix, /24 or /64: client keys cost nothing, and one party often holds a
// whole prefix). The same type, with its own instance, accounts frames
// being read (frameReservation). At either bound the sender's reader
// waits before decoding more: back-pressure through TCP on that connection
// alone when only its share is full, on every sender when the total is.
// A sender holding nothing is always admitted one message, so a frame
// larger than the share still gets through and nothing deadlocks.
type inboundBudget[K comparable] struct {
	mu      sync.Mutex
	max     int
	share   int
	total   int
	by      map[K]int
	changed chan struct{} // closed and replaced on every release
}

func newInboundBudget[K comparable](max, share int) *inboundBudget[K] {
	return &inboundBudget[K]{max: max, share: min(share, max), by: make(map[K]int), changed: make(chan struct{})}
}

// acquire waits until k may hold n more bytes, or until stop closes
// (false). The release function gives the bytes back; it is safe to call
// more than once.
func (b *inboundBudget[K]) acquire(k K, n int, stop <-chan struct{}) (func(), bool) {
	for {
		b.mu.Lock()
		held := b.by[k]
		if (b.total == 0 || b.total+n <= b.max) && (held == 0 || held+n <= b.share) {
			b.total += n
			b.by[k] = held + n
			b.mu.Unlock()
			var once sync.Once
			return func() { once.Do(func() { b.release(k, n) }) }, true
		}
		wait := b.changed
		b.mu.Unlock()
		select {
		case <-wait:
		case <-stop:
			return nil, false
		}
	}
}

func (b *inboundBudget[K]) release(k K, n int) {
	b.mu.Lock()
	b.total -= n
	if b.by[k] -= n; b.by[k] <= 0 {
		delete(b.by, k)
	}
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// held reports the bytes held in total.
func (b *inboundBudget[K]) held() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}

// freeFrameBytes of a frame are not accounted: every connection may read
// a frame that small (the connection caps bound them), so small frames,
// which correct clients send, never wait for others.
const freeFrameBytes = 64 << 10

// frameReservation reserves, before a frame's body is read, its announced
// length beyond freeFrameBytes from the sender's read budget, waiting
// (TCP back-pressure on that connection) until the budget allows it. A
// frame being read therefore always holds its whole reservation, and
// readers that wait hold nothing, so waiting never deadlocks: every frame
// that started can finish. The buffer itself still grows only as bytes
// arrive (wire.ReadFrameBody), so a sender that announces and stalls holds
// budget, not memory, until the frame deadline closes it.
type frameReservation[K comparable] struct {
	b    *inboundBudget[K]
	key  K
	stop <-chan struct{}
	// pace, when set, paces the sender's large frames (prefixRate) before
	// the reservation, so that the frame deadline, which starts when the
	// reservation is granted, does not count the wait.
	pace func(n int, stop <-chan struct{}) bool
}

func (f *frameReservation[K]) reserve(n int) (func(), bool) {
	if f.b == nil || n <= freeFrameBytes {
		return func() {}, true
	}
	if f.pace != nil && !f.pace(n-freeFrameBytes, f.stop) {
		return nil, false
	}
	return f.b.acquire(f.key, n-freeFrameBytes, f.stop)
}
