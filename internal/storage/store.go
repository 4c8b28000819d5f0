package storage

import "errors"

// ErrNotFound is returned by Get for a missing key.
var ErrNotFound = errors.New("storage: not found")

// Store is durable ordered key-value storage.
type Store interface {
	// Get returns a copy of the value stored at key, or ErrNotFound.
	Get(key []byte) ([]byte, error)
	// Scan calls fn for every key in [start, end) in key order until fn
	// returns false. Key and value are only valid during the call.
	Scan(start, end []byte, fn func(key, value []byte) bool) error
	// Apply writes the batch atomically; with sync it returns only once the
	// batch is durable.
	Apply(b *Batch, sync bool) error
	// Close releases the store.
	Close() error
}

// OpKind says what an Op does.
type OpKind uint8

const (
	OpPut OpKind = iota
	OpDelete
	OpDeleteRange // deletes [Key, End)
)

// Op is one write of a batch.
type Op struct {
	Kind  OpKind
	Key   []byte
	Value []byte // OpPut
	End   []byte // OpDeleteRange
}

// Batch is an ordered list of writes applied atomically.
type Batch struct {
	Ops []Op
}

// Put records a put. The batch keeps key and value; do not modify them.
func (b *Batch) Put(key, value []byte) {
	b.Ops = append(b.Ops, Op{Kind: OpPut, Key: key, Value: value})
}

// Delete records a delete.
func (b *Batch) Delete(key []byte) {
	b.Ops = append(b.Ops, Op{Kind: OpDelete, Key: key})
}

// DeleteRange records the deletion of [start, end).
func (b *Batch) DeleteRange(start, end []byte) {
	b.Ops = append(b.Ops, Op{Kind: OpDeleteRange, Key: start, End: end})
}

// Append adds all of o's writes after b's.
func (b *Batch) Append(o *Batch) {
	if o != nil {
		b.Ops = append(b.Ops, o.Ops...)
	}
}

// Empty reports whether the batch has no writes.
func (b *Batch) Empty() bool { return b == nil || len(b.Ops) == 0 }

// Reset empties the batch, keeping its capacity.
func (b *Batch) Reset() { b.Ops = b.Ops[:0] }

// Size is the number of key and value bytes in the batch.
func (b *Batch) Size() int {
	n := 0
	for _, op := range b.Ops {
		n += len(op.Key) + len(op.Value) + len(op.End)
	}
	return n
}
