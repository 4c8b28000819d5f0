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
// IP, since client keys cost nothing). At either bound the sender's reader
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
