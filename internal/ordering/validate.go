package ordering

import (
	"errors"
	"fmt"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Validate implements hotstuff.PayloadRules with every check of docs/protocol.md
// section 3.3. The core has validated the parent (and so every uncommitted
// ancestor) already.
func (o *Orderer) Validate(now int64, b, parent *hotstuff.Block) (hotstuff.Verdict, error) {
	o.now = now
	if len(b.Payload) > MaxSlotBytes {
		return hotstuff.Invalid, fmt.Errorf("ordering: slot of %d bytes, above the %d-byte bound", len(b.Payload), MaxSlotBytes)
	}
	s, err := decodeSlot(b.Payload)
	if err != nil {
		return hotstuff.Invalid, err
	}
	if len(s.Batches) > MaxSlotEntries {
		return hotstuff.Invalid, fmt.Errorf("ordering: slot of %d batches, above the bound of %d", len(s.Batches), MaxSlotEntries)
	}
	tp := o.boundaryOf(parent)
	if s.Boundary == tp && len(s.Batches) == 0 && len(s.Replies) == 0 && len(s.Roots) == 0 {
		// A null slot: it keeps the parent's boundary and claims nothing, so
		// it needs no collect; it only carries the chain toward a commit.
		return hotstuff.Valid, nil
	}
	if s.Boundary <= tp {
		return hotstuff.Invalid, fmt.Errorf("ordering: boundary %d not above the parent's %d", s.Boundary, tp)
	}
	if s.Boundary > now+o.cfg.SkewUs {
		// Not invalid for everyone: this replica's clock may lag. Refuse to
		// vote now; a later retry after the clock caught up may pass.
		return hotstuff.Wait, fmt.Errorf("ordering: boundary %d beyond now %d + skew", s.Boundary, now)
	}
	if o.checked[b.Hash] {
		return o.checkBodies(b, s)
	}
	// Entries: strictly sorted by (ts, d), inside the slot, new to the chain.
	window := o.chainWindow(parent)
	entries := make([]slotEntry, len(s.Batches))
	for i, sb := range s.Batches {
		d, err := batch.DigestFromBytes(sb.Digest)
		if err != nil {
			return hotstuff.Invalid, err
		}
		entries[i] = slotEntry{d: d, ts: sb.Ts}
		if i > 0 && !entries[i-1].less(entries[i]) {
			return hotstuff.Invalid, errors.New("ordering: slot entries not strictly sorted by (ts, digest)")
		}
		if sb.Ts < tp || sb.Ts >= s.Boundary {
			return hotstuff.Invalid, fmt.Errorf("ordering: entry ts %d outside the slot [%d, %d)", sb.Ts, tp, s.Boundary)
		}
		if window.has(d) {
			return hotstuff.Invalid, fmt.Errorf("ordering: batch %s already in the chain", d.Short())
		}
	}
	// Replies: exactly 2f+1 distinct replicas, each signed for this view,
	// parent and boundary, and together covering exactly the entries.
	if len(s.Replies) != o.q {
		return hotstuff.Invalid, fmt.Errorf("ordering: slot carries %d collect replies, needs %d", len(s.Replies), o.q)
	}
	seen := crypto.NewBitmap(o.n)
	covered := crypto.NewBitmap(len(entries))
	items := make([]crypto.Item, 0, len(s.Replies))
	for _, r := range s.Replies {
		if int(r.Replica) >= o.n || seen.Has(int(r.Replica)) {
			return hotstuff.Invalid, fmt.Errorf("ordering: collect reply from unknown or repeated replica %d", r.Replica)
		}
		seen.Set(int(r.Replica))
		bm := crypto.Bitmap(r.Entries)
		if err := bm.Check(len(entries)); err != nil {
			return hotstuff.Invalid, err
		}
		for i := range entries {
			if bm.Has(i) {
				covered.Set(i)
			}
		}
		items = append(items, crypto.Item{Replica: r.Replica, Msg: collectBytes(o.cfg.Committee.Cluster(), b.View, parent.Hash[:], s.Boundary, repliedList(s, bm)), Sig: r.Sig})
	}
	if covered.Count() != len(entries) {
		return hotstuff.Invalid, errors.New("ordering: slot holds an entry no collect reply listed")
	}
	// Cached: the leader checked each reply when it arrived, and the
	// pre-verification stage checks a proposal's replies before the state
	// machine sees it. Only successes are cached, so the verdict is the same.
	if ok, valid := o.cfg.Committee.VerifyBatchCached(items); !ok {
		for i, v := range valid {
			if !v {
				return hotstuff.Invalid, fmt.Errorf("ordering: bad collect reply signature from replica %d", items[i].Replica)
			}
		}
		return hotstuff.Invalid, errors.New("ordering: bad collect reply signatures")
	}
	// Proofs: every entry sequenced validly at its ts.
	for i, sb := range s.Batches {
		p, err := expandProof(s, sb)
		if err != nil {
			return hotstuff.Invalid, err
		}
		if err := o.checkProof(entries[i].d, sb.Ts, p); err != nil {
			return hotstuff.Invalid, fmt.Errorf("ordering: entry %s: %w", entries[i].d.Short(), err)
		}
	}
	// Everything but the bodies holds; a retry after a Wait checks only
	// the bodies again.
	if len(o.checked) >= maxChecked {
		clear(o.checked)
	}
	o.checked[b.Hash] = true
	return o.checkBodies(b, s)
}

// maxChecked bounds the set of blocks whose slot passed every check but the
// bodies.
const maxChecked = 1024

// checkBodies makes sure every body of the slot is held (and persisted)
// before the vote, fetching what is missing from the replicas that listed it.
func (o *Orderer) checkBodies(b *hotstuff.Block, s *wire.Slot) (hotstuff.Verdict, error) {
	var absent []batch.Digest
	var hints [][]uint32
	for i, sb := range s.Batches {
		d, _ := batch.DigestFromBytes(sb.Digest)
		if raw, _ := o.lookup(d); raw == nil {
			absent = append(absent, d)
			var listers []uint32
			for _, r := range s.Replies {
				if crypto.Bitmap(r.Entries).Has(i) {
					listers = append(listers, r.Replica)
				}
			}
			hints = append(hints, listers)
		}
	}
	if len(absent) > 0 {
		o.requestBodies(absent, hints, b.Height)
		return hotstuff.Wait, nil
	}
	for _, sb := range s.Batches {
		d, _ := batch.DigestFromBytes(sb.Digest)
		raw, _ := o.lookup(d)
		o.storeBody(d, raw)
	}
	delete(o.checked, b.Hash)
	return hotstuff.Valid, nil
}
