package transport

import (
	"errors"
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
// whole prefix). The same type, with its own instance, accounts buffers of
// frames being read (frameBuffers). At either bound the sender's reader
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

// tryAcquire takes n more bytes for k, which holds own already for the
// same purpose, if both bounds allow it now, without waiting. When own is
// all that k (or everyone) holds, it is admitted whatever the size: one
// frame up to the frame limit can always be read.
func (b *inboundBudget[K]) tryAcquire(k K, n, own int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	held := b.by[k]
	if (b.total == own || b.total+n <= b.max) && (held == own || held+n <= b.share) {
		b.total += n
		b.by[k] = held + n
		return true
	}
	return false
}

// errReadBudget ends a connection whose frame in progress would take more
// buffer than its sender's share of the read budget, or than what is left
// of the total.
var errReadBudget = errors.New("transport: frames in progress exceed the sender's read budget")

// freeFrameBytes of a frame's buffer are not accounted (wire starts a
// grown buffer at 64 KiB).
const freeFrameBytes = 64 << 10

// frameBuffers accounts the buffers of frames being read, per sender: a
// frame's buffer grows as its bytes arrive (wire.ReadFrameBodyFunc), and
// each growth takes budget without waiting. At the bound the connection is
// closed: a sender whose unfinished frames hold that much is not a correct
// one, and waiting would hold the memory anyway.
type frameBuffers[K comparable] struct {
	b   *inboundBudget[K]
	key K
	got int // budget held by the current frame
}

func (f *frameBuffers[K]) grow(capacity int) error {
	// The first buffer of a frame is free: every connection may hold one
	// (the connection caps bound them), so small frames, which correct
	// clients send, never meet this budget however much others hold.
	if f.b == nil || capacity <= freeFrameBytes {
		return nil
	}
	if extra := capacity - f.got; extra > 0 {
		if !f.b.tryAcquire(f.key, extra, f.got) {
			return errReadBudget
		}
		f.got = capacity
	}
	return nil
}

// done gives back the current frame's budget.
func (f *frameBuffers[K]) done() {
	if f.b != nil && f.got > 0 {
		f.b.release(f.key, f.got)
	}
	f.got = 0
}
