package hotstuff

import (
	"encoding/binary"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Key layout of the consensus state (prefix bytes are unique across pompe):
//
//	'S'                      SafetyState
//	'C'                      CommitCursor
//	'B' height(8) hash(32)   BlockWithPayload, every block accepted
//	'I' hash(32)             height(8) of a stored block
//	'H' height(8)            hash(32) of the committed block at height
const (
	prefixSafety    = 'S'
	prefixCursor    = 'C'
	prefixBlock     = 'B'
	prefixBlockIdx  = 'I'
	prefixCommitted = 'H'
)

var (
	keySafety = []byte{prefixSafety}
	keyCursor = []byte{prefixCursor}
)

func blockKey(height uint64, h Hash) []byte {
	k := make([]byte, 0, 41)
	k = append(k, prefixBlock)
	k = binary.BigEndian.AppendUint64(k, height)
	return append(k, h[:]...)
}

func blockIdxKey(h Hash) []byte {
	return append([]byte{prefixBlockIdx}, h[:]...)
}

func committedKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixCommitted}, height)
}

// Reader is the read side of storage the core recovers from and serves
// fetches from.
type Reader interface {
	Get(key []byte) ([]byte, error)
	Scan(start, end []byte, fn func(key, value []byte) bool) error
}

func putBlock(w *storage.Batch, b *Block) {
	rec := wire.Marshal(&wire.BlockWithPayload{Block: b.msg, Payload: b.Payload})
	w.Put(blockKey(b.Height, b.Hash), rec)
	w.Put(blockIdxKey(b.Hash), binary.BigEndian.AppendUint64(nil, b.Height))
}

// loadBlock reads a stored block by hash; nil when absent.
func loadBlock(r Reader, cluster []byte, n int, h Hash) (*Block, error) {
	hb, err := r.Get(blockIdxKey(h))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(hb) != 8 {
		return nil, fmt.Errorf("hotstuff: corrupt block index for %s", h)
	}
	rec, err := r.Get(blockKey(binary.BigEndian.Uint64(hb), h))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeStoredBlock(cluster, n, rec)
}

func decodeStoredBlock(cluster []byte, n int, rec []byte) (*Block, error) {
	var m wire.BlockWithPayload
	if err := proto.Unmarshal(rec, &m); err != nil {
		return nil, fmt.Errorf("hotstuff: corrupt stored block: %w", err)
	}
	return DecodeBlock(cluster, m.Block, m.Payload, n)
}

// LoadCommitted returns the committed block at height (nil if pruned or not
// yet committed). Execution uses it to replay after a restart.
func LoadCommitted(r Reader, cluster []byte, n int, height uint64) (*Block, error) {
	hb, err := r.Get(committedKey(height))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	h, err := HashFromBytes(hb)
	if err != nil {
		return nil, err
	}
	return loadBlock(r, cluster, n, h)
}
