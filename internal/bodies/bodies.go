package bodies

import (
	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/storage"
)

const (
	prefixBody     = 'P'
	prefixByHeight = 'Q'
)

// Reader is the read side of storage.
type Reader interface {
	Get(key []byte) ([]byte, error)
	Scan(start, end []byte, fn func(key, value []byte) bool) error
}

func key(d batch.Digest) []byte { return storage.Key(prefixBody, d[:]) }

// Put stores a body.
func Put(w *storage.Batch, d batch.Digest, raw []byte) { w.Put(key(d), raw) }

// Get reads a stored body (storage.ErrNotFound when absent).
func Get(r Reader, d batch.Digest) ([]byte, error) { return r.Get(key(d)) }

// Committed records that d committed at height, for pruning.
func Committed(w *storage.Batch, height uint64, d batch.Digest) {
	w.Put(storage.Key(prefixByHeight, storage.U64(height), d[:]), nil)
}

// EachCommitted calls fn for every digest committed within the retained
// heights, oldest first.
func EachCommitted(r Reader, fn func(d batch.Digest)) error {
	start, end := storage.PrefixRange(prefixByHeight)
	return r.Scan(start, end, func(k, _ []byte) bool {
		if len(k) == 1+8+len(batch.Digest{}) {
			var d batch.Digest
			copy(d[:], k[9:])
			fn(d)
		}
		return true
	})
}

// Pruner deletes the bodies of blocks more than Retention heights below
// the newest committed one (Retention 0 keeps everything).
type Pruner struct {
	Retention uint64
	prunedTo  uint64 // no indexed body below this height remains
}

// Prune adds to w the deletions due once height committed.
func (p *Pruner) Prune(r Reader, w *storage.Batch, height uint64) {
	if p.Retention == 0 || height <= p.Retention {
		return
	}
	below := height - p.Retention
	if below <= p.prunedTo {
		return
	}
	start := storage.Key(prefixByHeight, storage.U64(p.prunedTo))
	end := storage.Key(prefixByHeight, storage.U64(below))
	_ = r.Scan(start, end, func(k, _ []byte) bool {
		w.Delete(storage.Key(prefixBody, k[9:]))
		return true
	})
	w.DeleteRange(start, end)
	p.prunedTo = below
}
