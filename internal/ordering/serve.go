package ordering

import "github.com/pompe-bft/pompe/internal/batch"

// Serving fetches (bodies, and bodies with proofs) is bounded per request and
// per asking replica, so a Byzantine replica cannot make a correct one build
// a huge response or spend its sending capacity on one peer:
//   - a request names at most maxServed digests; each is served at most once
//     (a repeated digest is skipped);
//   - one response carries at most MaxServeBytes, always at least one batch
//     (a batch is at most 4 MiB, under every frame limit);
//   - each replica has a byte budget that refills at ServeBytesPerSec up to
//     ServeBurstBytes. At the bound the rest of the request is not served (a response may overshoot by the
//     one batch that crossed the bound):
//     the asker retries after its fetch timeout, from this replica or another.
//
// The budget runs on the time the state machine is given, so it stays
// deterministic.

// maxServed bounds the digests one fetch request may name.
const maxServed = 1024

// serveBudget is one replica's fetch allowance.
type serveBudget struct {
	bytes int64 // available
	at    int64 // when it was last refilled
}

// serve calls put for each distinct digest of a request, in order, until
// the response or the asker's budget is full; put appends what it holds of
// d to the response and returns the bytes it added (0: nothing held).
func (o *Orderer) serve(from uint32, digests [][]byte, put func(d batch.Digest) int) {
	if int(from) >= len(o.budgets) {
		return
	}
	bg := &o.budgets[from]
	if elapsed := o.now - bg.at; elapsed > 0 || bg.at == 0 {
		refill := int64(float64(o.cfg.ServeBytesPerSec) * float64(max(elapsed, 0)) / 1e6)
		if bg.at == 0 {
			refill = o.cfg.ServeBurstBytes
		}
		bg.bytes = min(bg.bytes+refill, o.cfg.ServeBurstBytes)
		bg.at = o.now
	}
	seen := make(map[batch.Digest]struct{}, min(len(digests), maxServed))
	var sent int64
	for i, raw := range digests {
		if i >= maxServed || bg.bytes <= 0 || sent >= o.cfg.MaxServeBytes {
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
