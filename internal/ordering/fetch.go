package ordering

import (
	"math"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/wire"
)

// requestBodies asks for missing batch bodies, each from the first of its
// hinted replicas; retries rotate through the hints, then everyone.
func (o *Orderer) requestBodies(ds []batch.Digest, hints [][]uint32, height uint64) {
	byPeer := make(map[uint32][][]byte)
	var peers []uint32
	for i, d := range ds {
		if f, ok := o.missing[d]; ok {
			f.height = max(f.height, height)
			continue
		}
		h := hints[i]
		if len(h) == 0 {
			h = []uint32{(o.cfg.Self + 1) % uint32(o.n)}
		}
		o.missing[d] = &fetchState{askedAt: o.now, hints: h, height: height}
		to := o.pick(h, 0)
		if _, ok := byPeer[to]; !ok {
			peers = append(peers, to)
		}
		byPeer[to] = append(byPeer[to], append([]byte(nil), d[:]...))
	}
	for _, p := range peers {
		o.out.Send(int(p), &wire.Message{Body: &wire.Message_BatchRequest{BatchRequest: &wire.BatchRequest{Digests: byPeer[p]}}})
	}
}

// pick chooses the replica for the try-th attempt: the hints first, then
// every other replica in turn.
func (o *Orderer) pick(hints []uint32, try int) uint32 {
	var to uint32
	if try < len(hints) {
		to = hints[try]
	} else {
		to = uint32(try-len(hints)) % uint32(o.n)
	}
	if to == o.cfg.Self {
		to = (to + 1) % uint32(o.n)
	}
	return to
}

func (o *Orderer) retryFetches() {
	if len(o.missing) == 0 {
		return
	}
	byPeer := make(map[uint32][][]byte)
	var peers []uint32
	for _, d := range sortedDigests(o.missing) {
		f := o.missing[d]
		if raw, _ := o.lookup(d); raw != nil {
			delete(o.missing, d)
			continue
		}
		if f.askedAt+o.cfg.FetchRetryUs > o.now {
			continue
		}
		f.tries++
		f.askedAt = o.now
		to := o.pick(f.hints, f.tries)
		if _, ok := byPeer[to]; !ok {
			peers = append(peers, to)
		}
		byPeer[to] = append(byPeer[to], append([]byte(nil), d[:]...))
	}
	for _, p := range peers {
		o.out.Send(int(p), &wire.Message{Body: &wire.Message_BatchRequest{BatchRequest: &wire.BatchRequest{Digests: byPeer[p]}}})
	}
}

// onBatchRequest serves bodies this replica holds, within the asking
// replica's serving budget (package servebudget).
func (o *Orderer) onBatchRequest(from uint32, r *wire.BatchRequest) {
	resp := &wire.BatchResponse{}
	o.budgets.Serve(o.now, from, r.Digests, func(d batch.Digest) int {
		if body, _ := o.lookup(d); body != nil {
			resp.Batches = append(resp.Batches, body)
			return len(body)
		}
		return 0
	})
	if len(resp.Batches) > 0 {
		o.out.Send(int(from), &wire.Message{Body: &wire.Message_BatchResponse{BatchResponse: resp}})
	}
}

// onBatchResponse accepts bodies this replica asked for; each is checked
// against its digest by construction.
func (o *Orderer) onBatchResponse(r *wire.BatchResponse) {
	for _, raw := range r.Batches {
		d := batch.DigestOf(raw)
		if _, wanted := o.missing[d]; !wanted {
			continue
		}
		if _, err := batch.Decode(raw, o.cfg.Limits); err != nil {
			continue
		}
		delete(o.missing, d)
		// Held as a body without a timestamp of ours; it is kept until its
		// block commits (or the TTL). Fetched bodies are bounded by the
		// blocks that asked for them (missing).
		o.bodies.put(d, &body{raw: raw, at: o.now, fetched: true, myTS: math.MaxInt64})
	}
	o.drainCommitted()
}

// forgetAbandoned stops fetching bodies that only blocks at or below a
// committed height wanted, unless a committed block still waits for them.
func (o *Orderer) forgetAbandoned(height uint64) {
	if len(o.missing) == 0 {
		return
	}
	queued := make(map[batch.Digest]struct{})
	for _, b := range o.queue {
		if si, err := o.slotOf(b); err == nil {
			for _, e := range si.entries {
				queued[e.d] = struct{}{}
			}
		}
	}
	for d, f := range o.missing {
		if _, ok := queued[d]; !ok && f.height <= height {
			delete(o.missing, d)
		}
	}
}
