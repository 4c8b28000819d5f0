package ordering

import (
	"slices"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Delta grows only on evidence (docs/protocol.md section 3.1). A client that retries a
// batch attaches the previous attempt's digest, timestamp and sequence proof.
// That is evidence that the batch missed its slot when:
//   - the proof is valid: 2f+1 replicas timestamped the batch and ts is their
//     median, so ts lies within correct replicas' clocks;
//   - a committed slot boundary has passed ts (the batch can no longer enter
//     any slot), and that boundary is one of the last boundaryMemory
//     committed ones (older evidence is stale);
//   - the earlier attempt is not itself committed here.
//
// The batch needed the boundary that overtook it, T, to be at most ts, so
// delta needed to be wider by T - ts: the next round widens delta by the
// largest such need seen since the last round (not their sum), up to
// DeltaMaxUs. A bare attempt counter, which any client can send, moves
// nothing. What a Byzantine client can still do is let its own batch miss
// on purpose, at the cost of a valid proof each time: one view's growth is
// at most the gap between two committed boundaries (one slot), it decays
// back over deltaDecayUs, and it costs latency, never liveness.

// boundaryMemory is how many recent committed boundaries are kept.
const boundaryMemory = 256

// noteCommittedBoundary records a newly committed slot boundary.
func (o *Orderer) noteCommittedBoundary(t int64) {
	if len(o.boundaries) >= boundaryMemory {
		o.boundaries = slices.Delete(o.boundaries, 0, 1)
	}
	o.boundaries = append(o.boundaries, t)
}

// noteRetry weighs a retry's evidence.
func (o *Orderer) noteRetry(ev *wire.RetryEvidence) {
	if ev == nil || ev.Proof == nil || len(o.boundaries) == 0 {
		return
	}
	d, err := batch.DigestFromBytes(ev.Digest)
	if err != nil || ev.Ts < o.boundaries[0] {
		return // unreadable, or older than the boundaries kept
	}
	i, _ := slices.BinarySearch(o.boundaries, ev.Ts+1)
	if i == len(o.boundaries) {
		return // no committed boundary has passed it: it did not miss
	}
	need := o.boundaries[i] - ev.Ts
	if need <= o.missNeed {
		return // a needier batch already counts for this round
	}
	if _, committed := o.recent.Get(d); committed {
		return
	}
	if o.checkProof(d, ev.Ts, ev.Proof) != nil {
		return
	}
	o.missNeed = need
}
