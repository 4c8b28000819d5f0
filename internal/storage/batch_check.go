package storage

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrClosed is returned by every call on a closed store.
var ErrClosed = errors.New("storage: closed")

// checkBatch rejects a batch before any of it is applied, so that both
// stores refuse exactly the same batches and a refused batch changes
// nothing. Keys, including range starts, must not be empty.
func checkBatch(b *Batch) error {
	if b == nil {
		return nil
	}
	for i, op := range b.Ops {
		// Every real key starts with a table prefix; pebble mishandles the
		// empty key (as a point key and as a range start).
		if len(op.Key) == 0 {
			return fmt.Errorf("storage: op %d: empty key", i)
		}
		switch op.Kind {
		case OpPut, OpDelete:
		case OpDeleteRange:
			if op.End == nil {
				return fmt.Errorf("storage: op %d: delete range without an end key", i)
			}
			if bytes.Compare(op.Key, op.End) > 0 {
				return fmt.Errorf("storage: op %d: delete range start %x is after end %x", i, op.Key, op.End)
			}
		default:
			return fmt.Errorf("storage: op %d: unknown op kind %d", i, op.Kind)
		}
	}
	return nil
}
