package replybudget

import (
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// Limits of a Budget; zero fields take the defaults.
type Limits struct {
	ClientBytesPerSec int64 // one client's refill rate (default 4 MiB/s)
	ClientBurstBytes  int64 // one client's bucket (default 8 MiB, at least one batch's results)
	TotalBytesPerSec  int64 // all clients together (default 64 MiB/s)
	TotalBurstBytes   int64 // (default 64 MiB)
	MaxClients        int   // buckets held (default 65,536)
}

// Defaults of Limits.
const (
	DefaultClientBytesPerSec = 4 << 20
	DefaultClientBurstBytes  = 8 << 20
	DefaultTotalBytesPerSec  = 64 << 20
	DefaultTotalBurstBytes   = 64 << 20
	DefaultMaxClients        = 1 << 16
)

func (l Limits) withDefaults() Limits {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.ClientBytesPerSec, DefaultClientBytesPerSec)
	def(&l.ClientBurstBytes, DefaultClientBurstBytes)
	def(&l.TotalBytesPerSec, DefaultTotalBytesPerSec)
	def(&l.TotalBurstBytes, DefaultTotalBurstBytes)
	if l.MaxClients <= 0 {
		l.MaxClients = DefaultMaxClients
	}
	return l
}

// bucket holds tokens (bytes) as of a time.
type bucket struct {
	tokens float64
	at     time.Time
}

func (b *bucket) refill(now time.Time, rate, burst float64) {
	if dt := now.Sub(b.at).Seconds(); dt > 0 {
		b.tokens = min(burst, b.tokens+dt*rate)
	}
	b.at = now
}

// Budget decides which resends go out. It is used by one goroutine.
type Budget struct {
	l       Limits
	total   bucket
	clients map[crypto.ClientID]*bucket
	swept   time.Time
	refused uint64
}

// New makes a budget with full buckets.
func New(l Limits, now time.Time) *Budget {
	l = l.withDefaults()
	return &Budget{l: l, total: bucket{tokens: float64(l.TotalBurstBytes), at: now},
		clients: make(map[crypto.ClientID]*bucket)}
}

// Allow reports whether a reply of size bytes may be resent to client now,
// and if so charges it. A reply larger than a bucket passes when the bucket
// is full (and empties it), so every reply can be resent eventually.
func (b *Budget) Allow(client crypto.ClientID, size int, now time.Time) bool {
	b.total.refill(now, float64(b.l.TotalBytesPerSec), float64(b.l.TotalBurstBytes))
	c := b.clients[client]
	if c == nil {
		if len(b.clients) >= b.l.MaxClients && !b.sweep(now) {
			b.refused++
			return false
		}
		c = &bucket{tokens: float64(b.l.ClientBurstBytes), at: now}
		b.clients[client] = c
	}
	c.refill(now, float64(b.l.ClientBytesPerSec), float64(b.l.ClientBurstBytes))
	cost := float64(size)
	if !fits(c.tokens, cost, float64(b.l.ClientBurstBytes)) || !fits(b.total.tokens, cost, float64(b.l.TotalBurstBytes)) {
		b.refused++
		return false
	}
	c.tokens -= cost
	b.total.tokens -= cost
	return true
}

// fits: the tokens cover the cost, or the bucket is full and the cost is
// more than it can ever hold.
func fits(tokens, cost, burst float64) bool {
	return tokens >= cost || (cost > burst && tokens >= burst)
}

// sweep drops the buckets that have refilled (they allow exactly what no
// bucket allows), at most once a second, and reports whether there is room.
func (b *Budget) sweep(now time.Time) bool {
	if now.Sub(b.swept) >= time.Second {
		b.swept = now
		rate, burst := float64(b.l.ClientBytesPerSec), float64(b.l.ClientBurstBytes)
		for id, c := range b.clients {
			if c.refill(now, rate, burst); c.tokens >= burst {
				delete(b.clients, id)
			}
		}
	}
	return len(b.clients) < b.l.MaxClients
}

// Refused is the number of resends refused so far.
func (b *Budget) Refused() uint64 { return b.refused }

// Len is the number of client buckets held.
func (b *Budget) Len() int { return len(b.clients) }
