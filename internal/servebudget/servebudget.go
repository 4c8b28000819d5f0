package servebudget

import "github.com/pompe-bft/pompe/internal/batch"

// MaxDigests bounds the digests one fetch request may name.
const MaxDigests = 1024

// Limits are the serving bounds; zero fields take the defaults.
type Limits struct {
	MaxResponseBytes int64
	BytesPerSec      int64
	BurstBytes       int64
}

// Defaults: 16 MiB per response, 128 MiB/s per peer, bursts of 32 MiB.
func (l Limits) withDefaults() Limits {
	if l.MaxResponseBytes <= 0 {
		l.MaxResponseBytes = 16 << 20
	}
	if l.BytesPerSec <= 0 {
		l.BytesPerSec = 128 << 20
	}
	if l.BurstBytes < l.MaxResponseBytes {
		l.BurstBytes = 2 * l.MaxResponseBytes
	}
	return l
}

// Budgets holds one budget per peer replica.
type Budgets struct {
	lim   Limits
	peers []budget
}

type budget struct {
	bytes int64 // available
	at    int64 // when it was last refilled (µs); 0: never used
}

// New makes the budgets of n peers.
func New(n int, lim Limits) *Budgets {
	return &Budgets{lim: lim.withDefaults(), peers: make([]budget, n)}
}

// Serve calls put for each distinct digest of a request from peer, in
// order, until the response or the peer's budget is full; put appends what
// it holds of d to the response and returns the bytes it added (0: nothing
// held). now is the state machine's time in µs.
func (bs *Budgets) Serve(now int64, peer uint32, digests [][]byte, put func(d batch.Digest) int) {
	if int(peer) >= len(bs.peers) {
		return
	}
	bg := &bs.peers[peer]
	if bg.at == 0 {
		bg.bytes, bg.at = bs.lim.BurstBytes, now
	} else if elapsed := now - bg.at; elapsed > 0 {
		refill := int64(float64(bs.lim.BytesPerSec) * float64(elapsed) / 1e6)
		bg.bytes = min(bg.bytes+refill, bs.lim.BurstBytes)
		bg.at = now
	}
	seen := make(map[batch.Digest]struct{}, min(len(digests), MaxDigests))
	var sent int64
	for i, raw := range digests {
		if i >= MaxDigests || bg.bytes <= 0 || sent >= bs.lim.MaxResponseBytes {
			return
		}
		d, err := batch.DigestFromBytes(raw)
		if err != nil {
			continue
		}
		if _, dup := seen[d]; dup {
			continue
		}
		seen[d] = struct{}{}
		n := int64(put(d))
		sent += n
		bg.bytes -= n
	}
}
