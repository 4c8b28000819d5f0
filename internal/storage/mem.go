package storage

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/RaduBerinde/btreemap"
)

// MemMaxUnsyncedBatches bounds how many unsynced batches a Mem remembers
// individually (for CrashKeeping). Older unsynced batches are written back
// to the durable state, as an operating system eventually writes back dirty
// pages on its own.
const MemMaxUnsyncedBatches = 1024

const memTreeDegree = 32

// Mem is an in-memory Store with power-loss semantics, for the
// deterministic simulator. Writes applied without sync are visible at once
// but only become durable with the next synced Apply; Crash loses them.
// Iteration order is key order only, so runs are reproducible. Mem is safe
// for concurrent use, and Scan callbacks may call back into the store.
type Mem struct {
	mu       sync.Mutex
	live     memTree
	durable  memTree
	unsynced []*Batch // applied to live but not to durable, oldest first
	failErr  error
	closed   bool
}

// memTree is an ordered map plus the byte count of its keys and values.
type memTree struct {
	t     *btreemap.BTreeMap[[]byte, []byte]
	bytes int64
}

func newMemTree() memTree {
	return memTree{t: btreemap.New[[]byte, []byte](memTreeDegree, bytes.Compare)}
}

// clone is O(1); both trees copy shared nodes on their next write.
func (m *memTree) clone() memTree { return memTree{t: m.t.Clone(), bytes: m.bytes} }

func (m *memTree) put(key, value []byte) {
	k := append([]byte(nil), key...)
	v := append([]byte{}, value...)
	if oldK, oldV, replaced := m.t.ReplaceOrInsert(k, v); replaced {
		m.bytes -= int64(len(oldK) + len(oldV))
	}
	m.bytes += int64(len(k) + len(v))
}

func (m *memTree) delete(key []byte) {
	if k, v, ok := m.t.Delete(key); ok {
		m.bytes -= int64(len(k) + len(v))
	}
}

func (m *memTree) deleteRange(start, end []byte) {
	var doomed [][]byte
	m.t.AscendFunc(btreemap.GE(start), btreemap.LT(end), func(k, _ []byte) bool {
		doomed = append(doomed, k)
		return true
	})
	for _, k := range doomed {
		m.delete(k)
	}
}

func (m *memTree) apply(b *Batch) {
	for _, op := range b.Ops {
		switch op.Kind {
		case OpPut:
			m.put(op.Key, op.Value)
		case OpDelete:
			m.delete(op.Key)
		case OpDeleteRange:
			if bytes.Compare(op.Key, op.End) < 0 {
				m.deleteRange(op.Key, op.End)
			}
		}
	}
}

// NewMem returns an empty store.
func NewMem() *Mem {
	live := newMemTree()
	return &Mem{live: live, durable: live.clone()}
}

// Get implements Store.
func (m *Mem) Get(key []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	_, v, ok := m.live.t.Get(key)
	if !ok {
		return nil, ErrNotFound
	}
	return append([]byte{}, v...), nil
}

// Scan implements Store; a nil end means no upper bound. It iterates over
// a snapshot taken when it starts, so fn may write to the store.
func (m *Mem) Scan(start, end []byte, fn func(key, value []byte) bool) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	snap := m.live.clone()
	m.mu.Unlock()
	if end != nil && bytes.Compare(start, end) >= 0 {
		return nil
	}
	upper := btreemap.Max[[]byte]()
	if end != nil {
		upper = btreemap.LT(end)
	}
	snap.t.AscendFunc(btreemap.GE(start), upper, fn)
	return nil
}

// Apply implements Store. A synced Apply makes every earlier write durable
// too, as a write-ahead log does.
func (m *Mem) Apply(b *Batch, sync bool) error {
	if err := checkBatch(b); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if m.failErr != nil {
		return m.failErr
	}
	if !b.Empty() {
		m.live.apply(b)
	}
	if sync {
		m.durable = m.live.clone()
		clear(m.unsynced)
		m.unsynced = m.unsynced[:0]
		return nil
	}
	if !b.Empty() {
		m.rememberUnsynced(b)
	}
	return nil
}

func (m *Mem) rememberUnsynced(b *Batch) {
	if len(m.unsynced) == MemMaxUnsyncedBatches {
		m.durable.apply(m.unsynced[0])
		m.unsynced[0] = nil
		m.unsynced = m.unsynced[1:]
	}
	m.unsynced = append(m.unsynced, copyBatch(b))
}

func copyBatch(b *Batch) *Batch {
	c := &Batch{Ops: make([]Op, len(b.Ops))}
	for i, op := range b.Ops {
		c.Ops[i] = Op{
			Kind:  op.Kind,
			Key:   append([]byte(nil), op.Key...),
			Value: append([]byte(nil), op.Value...),
			End:   append([]byte(nil), op.End...),
		}
		if op.Kind == OpDeleteRange && op.End != nil && c.Ops[i].End == nil {
			c.Ops[i].End = []byte{}
		}
	}
	return c
}

// Crash simulates a power loss: every write not yet made durable by a
// synced Apply is lost. The store stays open, as after a restart.
func (m *Mem) Crash() { m.CrashKeeping(0) }

// CrashKeeping simulates a power loss after which the first keep unsynced
// batches survived (a write-ahead log that reached the disk in part). keep
// is clamped to the number of unsynced batches.
func (m *Mem) CrashKeeping(keep int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keep = max(0, min(keep, len(m.unsynced)))
	for _, b := range m.unsynced[:keep] {
		m.durable.apply(b)
	}
	m.live = m.durable.clone()
	clear(m.unsynced)
	m.unsynced = m.unsynced[:0]
}

// UnsyncedBatches is the number of applied batches a crash would lose.
func (m *Mem) UnsyncedBatches() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.unsynced)
}

// SetFailWrites makes every later Apply fail with err, without writing
// anything, until it is called with nil (a full or failed disk).
func (m *Mem) SetFailWrites(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failErr = err
}

// Len is the number of keys visible to reads.
func (m *Mem) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.live.t.Len()
}

// DiskUsageBytes is the number of key and value bytes visible to reads.
func (m *Mem) DiskUsageBytes() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return uint64(m.live.bytes)
}

// Close implements Store. A closed Mem keeps its state; Reopen returns it
// as a store again.
func (m *Mem) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.closed = true
	return nil
}

// Reopen returns a new open store holding m's state, as a restarted process
// finds it: writes that were never synced are still there (the operating
// system holds them) and still lost by a later Crash. To model a power loss
// during the downtime, call Crash before Reopen. m must be closed.
func (m *Mem) Reopen() (*Mem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		return nil, fmt.Errorf("storage: reopen of a mem store that is still open")
	}
	r := &Mem{live: m.live.clone(), durable: m.durable.clone(), failErr: m.failErr}
	r.unsynced = append(r.unsynced, m.unsynced...)
	return r, nil
}
