package hotstuff

import (
	"encoding/binary"
	"slices"
)

// itemBytes is the size of one work item in a test payload.
const itemBytes = 8

// testRules is a minimal PayloadRules: work is a set of numbered items; a
// payload is the list of items it carries (8 bytes each, big endian). Build
// proposes the pending items that the chain above the committed tip does
// not already carry, so a leader never proposes one item twice in a row.
type testRules struct {
	pending   map[uint64]bool
	seen      map[Hash]*Block // every block validated here
	committed map[Hash]bool
	blocks    []*Block // committed, in order
	// verdict judges a block; nil means every block is Valid.
	verdict func(b *Block) Verdict
	// maxItems caps the items per block (0: no cap).
	maxItems int
	// validations counts Validate calls.
	validations int
	// phantom makes Pending report work that Build never finds, like
	// entries left over from before a restart.
	phantom bool
}

func newTestRules() *testRules {
	return &testRules{
		pending:   make(map[uint64]bool),
		seen:      make(map[Hash]*Block),
		committed: make(map[Hash]bool),
	}
}

func encodeItems(items []uint64) []byte {
	p := make([]byte, 0, len(items)*itemBytes)
	for _, it := range items {
		p = binary.BigEndian.AppendUint64(p, it)
	}
	return p
}

func decodeItems(payload []byte) []uint64 {
	var out []uint64
	for len(payload) >= itemBytes {
		out = append(out, binary.BigEndian.Uint64(payload))
		payload = payload[itemBytes:]
	}
	return out
}

func (r *testRules) submit(items ...uint64) {
	for _, it := range items {
		r.pending[it] = true
	}
}

// inFlight lists the items carried by the uncommitted chain ending at h.
func (r *testRules) inFlight(h Hash) map[uint64]bool {
	out := make(map[uint64]bool)
	for i := 0; i < 1000; i++ {
		b, ok := r.seen[h]
		if !ok || r.committed[h] {
			break
		}
		for _, it := range decodeItems(b.Payload) {
			out[it] = true
		}
		h = b.Parent
	}
	return out
}

func (r *testRules) Build(_ int64, _ uint64, parent *Block, force bool) ([]byte, bool) {
	busy := r.inFlight(parent.Hash)
	var items []uint64
	for it := range r.pending {
		if !busy[it] {
			items = append(items, it)
		}
	}
	slices.Sort(items)
	if r.maxItems > 0 && len(items) > r.maxItems {
		items = items[:r.maxItems]
	}
	if len(items) == 0 {
		if force {
			return []byte{}, true
		}
		return nil, false
	}
	return encodeItems(items), true
}

func (r *testRules) Validate(_ int64, b *Block, _ *Block) (Verdict, error) {
	r.validations++
	if len(b.Payload)%itemBytes != 0 {
		return Invalid, nil
	}
	v := Valid
	if r.verdict != nil {
		v = r.verdict(b)
	}
	if v == Valid {
		r.seen[b.Hash] = b
	}
	return v, nil
}

func (r *testRules) Committed(b *Block) {
	r.committed[b.Hash] = true
	r.seen[b.Hash] = b
	r.blocks = append(r.blocks, b)
	for _, it := range decodeItems(b.Payload) {
		delete(r.pending, it)
	}
}

func (r *testRules) Pending() bool { return len(r.pending) > 0 || r.phantom }

// Proposed implements PayloadRules; the test rules prepare nothing.
func (r *testRules) Proposed(*Block) {}

func (r *testRules) Carries(payload []byte) bool { return len(payload) > 0 }

// committedItem reports whether a committed block carried item.
func (r *testRules) committedItem(item uint64) bool {
	for _, b := range r.blocks {
		if slices.Contains(decodeItems(b.Payload), item) {
			return true
		}
	}
	return false
}
