package transport

import (
	"net/netip"
	"sync"
	"time"
)

// prefixRate paces the bytes of large client frames read from each source
// prefix (/24, /64) to rate bytes per second, with bursts of burst bytes: a
// reader takes a frame's length beyond freeFrameBytes from its prefix's
// bucket before it reads the body, going into debt, and waits until the
// debt is paid (TCP back-pressure on that connection alone).
//
// Why: every byte a client sends costs the replica TLS decryption, copies,
// decoding, hashing and garbage collection (about 5 ns a byte, some 18 ms
// of CPU for a 3.9 MB timestamp request on the 2-core test machine). The
// inbound budgets bound the bytes held at once, not the rate: a source
// sending 3.9 MB requests as fast as the replicas took them (16 a second
// at each of 4 replicas sharing 2 cores) used most of the machine, and
// correct clients kept under a quarter of their throughput. Small frames
// (up to freeFrameBytes, what correct clients send) are never paced.
//
// Memory: one bucket per prefix with a frame being paced or paced within
// the last idle period; buckets full again are dropped on the next sweep,
// so the table holds at most the prefixes of open connections (bounded by
// the connection caps) plus those seen within a few seconds.
type prefixRate struct {
	rate, burst float64
	now         func() time.Time

	mu      sync.Mutex
	buckets map[netip.Prefix]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64 // may be negative: debt
	at     time.Time
}

func newPrefixRate(bytesPerSec, burst int) *prefixRate {
	if bytesPerSec <= 0 {
		return nil
	}
	return &prefixRate{rate: float64(bytesPerSec), burst: float64(max(burst, 1)), now: time.Now, buckets: make(map[netip.Prefix]*bucket)}
}

// take charges n bytes to p and returns how long the reader must wait
// before reading them (zero within the burst).
func (r *prefixRate) take(p netip.Prefix, n int) time.Duration {
	if r == nil || n <= 0 {
		return 0
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.buckets[p]
	if !ok {
		b = &bucket{tokens: r.burst, at: now}
		r.buckets[p] = b
	}
	b.refill(now, r.rate, r.burst)
	b.tokens -= float64(n)
	wait := time.Duration(0)
	if b.tokens < 0 {
		wait = time.Duration(-b.tokens / r.rate * float64(time.Second))
	}
	if now.Sub(r.swept) > time.Second {
		r.swept = now
		for k, o := range r.buckets {
			if o.refill(now, r.rate, r.burst); o.tokens >= r.burst {
				delete(r.buckets, k)
			}
		}
	}
	return wait
}

func (b *bucket) refill(now time.Time, rate, burst float64) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(burst, b.tokens+d.Seconds()*rate)
		b.at = now
	}
}

// pace waits out take's delay, or until stop closes (false).
func (r *prefixRate) pace(p netip.Prefix, n int, stop <-chan struct{}) bool {
	wait := r.take(p, n)
	if wait <= 0 {
		return true
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-stop:
		return false
	}
}
