package byzantine

import (
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// corruptSlot rewrites this leader's proposals (and, for future, its
// collects) according to the misbehaviour, re-signing them so that only the
// protocol's checks, not the signature, can catch the lie. A broadcast
// proposal is rewritten once and the same rewrite goes to every replica.
func (t *Transformer) corruptSlot(m *wire.Message) *wire.Message {
	if c := m.GetCollect(); c != nil && t.cfg.Kind == Future {
		alt := proto.Clone(c).(*wire.Collect)
		alt.Boundary += FutureBoundaryUs
		return &wire.Message{Body: &wire.Message_Collect{Collect: alt}}
	}
	p := m.GetProposal()
	if p == nil || p.Block == nil {
		return m
	}
	if cached, ok := t.rewritten[p]; ok {
		return cached
	}
	var payload []byte
	if t.cfg.Pompe {
		payload = t.corruptPompeSlot(p.Payload)
	} else if t.cfg.Kind == ReverseOrder {
		payload = reverseBaseline(p.Payload)
	}
	out := m
	if payload != nil {
		alt := proto.Clone(p).(*wire.Proposal)
		alt.Payload = payload
		out = t.resign(alt)
		t.corrupted++
	}
	t.rewritten = map[*wire.Proposal]*wire.Message{p: out}
	return out
}

// corruptPompeSlot returns the corrupted encoding of a slot, or nil when
// this slot offers nothing to corrupt (an empty slot cannot omit a batch).
func (t *Transformer) corruptPompeSlot(raw []byte) []byte {
	var s wire.Slot
	if proto.Unmarshal(raw, &s) != nil {
		return nil
	}
	switch k := len(s.Batches); t.cfg.Kind {
	case Omit:
		if k == 0 {
			return nil
		}
		s.Batches = s.Batches[:k-1]
		for _, r := range s.Replies {
			bm := crypto.NewBitmap(k - 1)
			for i := 0; i < k-1; i++ {
				if crypto.Bitmap(r.Entries).Has(i) {
					bm.Set(i)
				}
			}
			r.Entries = bm
		}
	case Reorder, ReverseOrder:
		if k < 2 {
			return nil
		}
		s.Batches[0], s.Batches[k-1] = s.Batches[k-1], s.Batches[0]
	case Invent:
		if k == 0 {
			return nil
		}
		s.Batches[0].Ts++
	case Future:
		s.Boundary += FutureBoundaryUs
	default:
		return nil
	}
	return wire.Marshal(&s)
}

// reverseBaseline reverses the batches of a baseline block: a valid block,
// since baseline mode promises no order inside one.
func reverseBaseline(raw []byte) []byte {
	var bp wire.BaselinePayload
	if len(raw) == 0 || proto.Unmarshal(raw, &bp) != nil || len(bp.Digests) < 2 {
		return nil
	}
	slices.Reverse(bp.Digests)
	return wire.Marshal(&bp)
}
