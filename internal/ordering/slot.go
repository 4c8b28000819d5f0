package ordering

import (
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/wire"
)

// slotInfo is the decoded essence of a block's slot.
type slotInfo struct {
	boundary int64
	entries  []slotEntry // sorted by (ts, d)
}

type slotEntry struct {
	d  batch.Digest
	ts int64
}

func (a slotEntry) less(b slotEntry) bool {
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	return a.d.Less(b.d)
}

func decodeSlot(payload []byte) (*wire.Slot, error) {
	var s wire.Slot
	if len(payload) == 0 {
		return nil, errors.New("ordering: empty slot payload")
	}
	if err := proto.Unmarshal(payload, &s); err != nil {
		return nil, fmt.Errorf("ordering: slot: %w", err)
	}
	return &s, nil
}

// slotOf returns the slot of block b (genesis: boundary 0, no entries).
func (o *Orderer) slotOf(b *hotstuff.Block) (*slotInfo, error) {
	if b.Height == 0 {
		return &slotInfo{}, nil
	}
	if si, ok := o.slots[b.Hash]; ok {
		return si, nil
	}
	s, err := decodeSlot(b.Payload)
	if err != nil {
		return nil, err
	}
	si := &slotInfo{boundary: s.Boundary}
	for _, sb := range s.Batches {
		d, err := batch.DigestFromBytes(sb.Digest)
		if err != nil {
			return nil, err
		}
		si.entries = append(si.entries, slotEntry{d: d, ts: sb.Ts})
	}
	if len(o.slots) > maxSlotCache {
		clear(o.slots) // a cache: abandoned forks must not pile up
	}
	o.slots[b.Hash] = si
	return si, nil
}

const maxSlotCache = 4096

// boundaryOf is a block's slot boundary (0 for genesis or an undecodable slot).
func (o *Orderer) boundaryOf(b *hotstuff.Block) int64 {
	si, err := o.slotOf(b)
	if err != nil {
		return 0
	}
	return si.boundary
}

// DupWindowBlocks is how far back "already in the chain" (docs/protocol.md section 3.3)
// looks: a block may not hold a digest that the block it extends or any of
// that block's DupWindowBlocks-1 nearest ancestors holds. It is a protocol
// constant and the search reads only the chain itself, so every correct
// replica reaches the same verdict whatever it committed, pruned or forgot
// in a restart. A digest that reappears further back is valid and its
// commands are skipped by the deterministic dedup of execution
// (docs/protocol.md section 4). Storage must keep at least this many committed blocks
// (storage.retention_blocks is validated against it).
const DupWindowBlocks = 64

// Slot size bounds, protocol constants (every replica refuses a larger slot
// in validation, docs/protocol.md section 3.3, so they cannot be per-replica settings):
// MaxSlotEntries batches and MaxSlotBytes of encoded payload, well under the
// 64 MiB frame limit that the proposal carrying the slot must fit. A collect
// reply lists at most MaxSlotEntries entries. At the bound a leader cannot
// propose a non-null slot and the view times out; honest load stays far
// below it (a replica holds at most ordering.max_pending sequenced batches,
// and a slot covers the batches of one view).
const (
	MaxSlotEntries = 1 << 16
	MaxSlotBytes   = 32 << 20
)

// chainSet is the set of digests in a window of the chain.
type chainSet struct {
	tip     hotstuff.Hash
	digests map[batch.Digest]struct{}
}

func (s *chainSet) has(d batch.Digest) bool {
	_, ok := s.digests[d]
	return ok
}

// chainWindow returns the digests held by b and its ancestors, DupWindowBlocks
// blocks in all (fewer near genesis). The last few windows are kept: a
// leader's build, the collect answers and the validation of the next
// proposal all ask for the same parent.
func (o *Orderer) chainWindow(b *hotstuff.Block) *chainSet {
	for _, w := range o.windows {
		if w.tip == b.Hash {
			return w
		}
	}
	w := &chainSet{tip: b.Hash, digests: make(map[batch.Digest]struct{})}
	for i := 0; i < DupWindowBlocks && b != nil && b.Height > 0; i++ {
		if si, err := o.slotOf(b); err == nil {
			for _, e := range si.entries {
				w.digests[e.d] = struct{}{}
			}
		}
		b = o.tree.Block(b.Parent)
	}
	if len(o.windows) >= maxWindows {
		copy(o.windows, o.windows[1:])
		o.windows = o.windows[:maxWindows-1]
	}
	o.windows = append(o.windows, w)
	return w
}

// maxWindows bounds the chain windows kept (each at most DupWindowBlocks
// slots' digests).
const maxWindows = 4

// listBytes is the signed encoding of a collect reply's list.
func listBytes(entries []*wire.SlotEntry) []byte {
	b := make([]byte, 0, len(entries)*40)
	for _, e := range entries {
		b = append(b, e.Digest...)
		b = append(b, i64(e.Ts)...)
	}
	return b
}

// repliedList is the list a collect reply of slot s signed: the slot's
// entries its bitmap bm selects, in slot order.
func repliedList(s *wire.Slot, bm crypto.Bitmap) []*wire.SlotEntry {
	var list []*wire.SlotEntry
	for i, sb := range s.Batches {
		if bm.Has(i) {
			list = append(list, &wire.SlotEntry{Digest: sb.Digest, Ts: sb.Ts})
		}
	}
	return list
}

func collectBytes(cluster []byte, view uint64, parent []byte, boundary int64, entries []*wire.SlotEntry) []byte {
	return crypto.SigningBytes(crypto.DomainCollect, cluster, crypto.U64(view), parent, crypto.I64(boundary), listBytes(entries))
}

// buildSlot assembles the union of replies into a slot: entries sorted by
// (ts, d), each with its proof pointing at shared root signatures, and each
// reply reduced to a bitmap over the entries.
func (o *Orderer) buildSlot(boundary int64, replies []*wire.CollectReply) ([]byte, error) {
	type pair = slotEntry
	index := make(map[pair]int)
	var union []pair
	for _, r := range replies {
		for _, e := range r.Entries {
			d, _ := batch.DigestFromBytes(e.Digest)
			p := pair{d: d, ts: e.Ts}
			if _, ok := index[p]; !ok {
				index[p] = 0
				union = append(union, p)
			}
		}
	}
	slices.SortFunc(union, func(a, b pair) int {
		if a.less(b) {
			return -1
		}
		if b.less(a) {
			return 1
		}
		return 0
	})
	for i, p := range union {
		index[p] = i
	}
	s := &wire.Slot{Boundary: boundary}
	roots := make(map[string]uint32)
	for _, p := range union {
		e := o.proven(p.d, p.ts)
		if e == nil {
			return nil, fmt.Errorf("ordering: no proof for %s", p.d.Short())
		}
		sb := &wire.SlotBatch{Digest: append([]byte(nil), p.d[:]...), Ts: p.ts}
		for _, c := range e.proof.Certs {
			key := string(crypto.U32(c.Replica)) + string(c.Root) + string(crypto.U32(c.LeafCount)) + string(c.Sig)
			ref, ok := roots[key]
			if !ok {
				ref = uint32(len(s.Roots))
				roots[key] = ref
				s.Roots = append(s.Roots, &wire.RootSig{Replica: c.Replica, Root: c.Root, LeafCount: c.LeafCount, Sig: c.Sig})
			}
			sb.Proof = append(sb.Proof, &wire.CompactCert{RootRef: ref, Ts: c.Ts, Index: c.Index, Path: c.Path})
		}
		s.Batches = append(s.Batches, sb)
	}
	for _, r := range replies {
		bm := crypto.NewBitmap(len(union))
		for _, e := range r.Entries {
			d, _ := batch.DigestFromBytes(e.Digest)
			bm.Set(index[pair{d: d, ts: e.Ts}])
		}
		s.Replies = append(s.Replies, &wire.CompactReply{Replica: r.Replica, Entries: bm, Sig: r.Sig})
	}
	return wire.Marshal(s), nil
}

// proven returns a batch with a verified proof for (d, ts), if held.
func (o *Orderer) proven(d batch.Digest, ts int64) *entry {
	if e, ok := o.sequenced[d]; ok && e.ts == ts {
		return e
	}
	return o.known[slotEntry{d: d, ts: ts}]
}

// expandProof rebuilds full certificates from a slot's compact form.
func expandProof(s *wire.Slot, sb *wire.SlotBatch) (*wire.SequenceProof, error) {
	p := &wire.SequenceProof{}
	for _, c := range sb.Proof {
		if c == nil || int(c.RootRef) >= len(s.Roots) || s.Roots[c.RootRef] == nil {
			return nil, errors.New("ordering: proof points at a missing root")
		}
		r := s.Roots[c.RootRef]
		p.Certs = append(p.Certs, &wire.TimestampCert{Replica: r.Replica, Ts: c.Ts, Root: r.Root, LeafCount: r.LeafCount, Index: c.Index, Path: c.Path, Sig: r.Sig})
	}
	return p, nil
}
