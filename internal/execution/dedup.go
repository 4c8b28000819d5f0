package execution

import (
	"encoding/binary"
	"errors"
	"slices"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// MaxSparsePerClient bounds the out-of-order sequence numbers remembered per
// client above its contiguous low-water mark. A client that leaves larger
// gaps (only a broken or Byzantine one does) gets its low-water mark raised,
// which makes the skipped numbers count as executed.
const MaxSparsePerClient = 1 << 16

// seqSet records which sequence numbers of one client executed: all up to
// low, plus the sparse set above it.
type seqSet struct {
	low   uint64
	above map[uint64]struct{}
}

func (s *seqSet) has(seq uint64) bool {
	if seq <= s.low {
		return true
	}
	_, ok := s.above[seq]
	return ok
}

func (s *seqSet) add(seq uint64) {
	if seq <= s.low {
		return
	}
	if seq != s.low+1 {
		if s.above == nil {
			s.above = make(map[uint64]struct{})
		}
		s.above[seq] = struct{}{}
		if len(s.above) > MaxSparsePerClient {
			s.raiseTo(s.minAbove())
		}
		return
	}
	s.low = seq
	s.compact()
}

func (s *seqSet) minAbove() uint64 {
	m := uint64(0)
	for k := range s.above {
		if m == 0 || k < m {
			m = k
		}
	}
	return m
}

// raiseTo moves the low-water mark up to seq, past sparse numbers, which
// it drops, and absorbs the run that follows.
func (s *seqSet) raiseTo(seq uint64) {
	if seq > s.low {
		s.low = seq
	}
	for k := range s.above {
		if k <= s.low {
			delete(s.above, k)
		}
	}
	s.compact()
}

// compact absorbs the sparse numbers that continue the low-water mark. The
// set never holds a number at or below low+1 (add stores only numbers above
// low+1, and low moves one by one through the ones it absorbs; raiseTo,
// which jumps, drops what it passes), so this costs one lookup per number
// absorbed and one more: a client whose batches execute out of order keeps
// thousands of sparse numbers, and sweeping them all on every in-order add
// took 16% of a replica's CPU at batch 1000.
func (s *seqSet) compact() {
	for {
		if _, ok := s.above[s.low+1]; !ok {
			break
		}
		delete(s.above, s.low+1)
		s.low++
	}
}

// dedup tracks executed commands of all clients.
type dedup map[crypto.ClientID]*seqSet

// encode serializes deterministically: clients sorted, sparse seqs sorted.
func (d dedup) encode() []byte {
	ids := make([]crypto.ClientID, 0, len(d))
	for id := range d {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b crypto.ClientID) int { return slices.Compare(a[:], b[:]) })
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		s := d[id]
		b = append(b, id[:]...)
		b = binary.AppendUvarint(b, s.low)
		above := make([]uint64, 0, len(s.above))
		for k := range s.above {
			above = append(above, k)
		}
		slices.Sort(above)
		b = binary.AppendUvarint(b, uint64(len(above)))
		for _, k := range above {
			b = binary.AppendUvarint(b, k)
		}
	}
	return b
}

var errCorrupt = errors.New("execution: corrupt dedup state")

func decodeDedup(b []byte) (dedup, error) {
	d := make(dedup)
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return nil, errCorrupt
	}
	b = b[k:]
	for i := uint64(0); i < n; i++ {
		if len(b) < crypto.ClientIDBytes {
			return nil, errCorrupt
		}
		var id crypto.ClientID
		copy(id[:], b)
		b = b[crypto.ClientIDBytes:]
		low, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, errCorrupt
		}
		b = b[k:]
		cnt, k := binary.Uvarint(b)
		if k <= 0 || cnt > MaxSparsePerClient+1 {
			return nil, errCorrupt
		}
		b = b[k:]
		s := &seqSet{low: low}
		for j := uint64(0); j < cnt; j++ {
			v, k := binary.Uvarint(b)
			if k <= 0 {
				return nil, errCorrupt
			}
			b = b[k:]
			if s.above == nil {
				s.above = make(map[uint64]struct{})
			}
			s.above[v] = struct{}{}
		}
		d[id] = s
	}
	return d, nil
}
