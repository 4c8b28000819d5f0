package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// PebbleOptions tunes a Pebble store. Zero fields take the defaults below,
// sized for a replica: a steady stream of small synced batches, a working
// set of recent blocks, and old blocks pruned by range deletions.
type PebbleOptions struct {
	// MemTableBytes is the size of one memtable (default 16 MiB; at most 4
	// are held, which bounds their memory at 64 MiB). Larger
	// memtables absorb bursts and let pruned keys die before reaching disk.
	MemTableBytes uint64
	// CacheBytes is the block cache size (default 16 MiB: a replica reads
	// back little, mostly blocks that lagging peers fetch).
	CacheBytes int64
	// MaxCompactions bounds concurrent compactions (default 2).
	MaxCompactions int
	// Logger receives pebble's messages: informational ones at debug level,
	// errors at warn level, fatal ones at error level. Default slog.Default().
	Logger *slog.Logger

	// fs replaces the real file system in tests that inject faults.
	fs vfs.FS
}

const (
	defaultMemTableBytes  = 16 << 20
	defaultCacheBytes     = 16 << 20
	defaultMaxCompactions = 2
)

// Pebble is a Store on a pebble database in one directory.
//
// Pebble reacts to some I/O failures (a full disk while writing the WAL or
// the MANIFEST) by calling its logger's Fatalf, which would normally exit
// the process. Here Fatalf only records the failure: the call that hit it
// returns it, and every later call fails with it, so the replica can stop
// cleanly and report why.
type Pebble struct {
	db      *pebble.DB
	dir     string
	failure *failureLatch

	mu     sync.RWMutex // write-held only by Close
	closed bool
}

// OpenPebble opens (creating if needed) the store in dir.
func OpenPebble(dir string, opts PebbleOptions) (*Pebble, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "pebble", "dir", dir)
	failure := &failureLatch{}
	memTable := opts.MemTableBytes
	if memTable == 0 {
		memTable = defaultMemTableBytes
	}
	cache := opts.CacheBytes
	if cache <= 0 {
		cache = defaultCacheBytes
	}
	compactions := opts.MaxCompactions
	if compactions <= 0 {
		compactions = defaultMaxCompactions
	}
	logger := &pebbleLogger{log: log, failure: failure}
	po := &pebble.Options{
		FS:                          opts.fs,
		Logger:                      logger,
		EventListener:               pebbleEvents(log, failure),
		MemTableSize:                memTable,
		MemTableStopWritesThreshold: 4,
		CacheSize:                   cache,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       24,
		LBaseMaxBytes:               256 << 20,
		FormatMajorVersion:          pebble.FormatNewest,
		CompactionConcurrencyRange:  func() (int, int) { return 1, compactions },
	}
	db, err := openRecovering(dir, po)
	if err != nil {
		return nil, fmt.Errorf("storage: open pebble in %s: %w", dir, err)
	}
	if err := failure.err(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("storage: open pebble in %s: %w", dir, err)
	}
	return &Pebble{db: db, dir: dir, failure: failure}, nil
}

// openRecovering turns a panic inside pebble.Open (a damaged directory can
// cause one) into an error.
func openRecovering(dir string, po *pebble.Options) (db *pebble.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("pebble panicked: %v", r)
		}
	}()
	return pebble.Open(dir, po)
}

// Dir is the directory the store lives in.
func (p *Pebble) Dir() string { return p.dir }

// begin admits one call: it fails once the store is closed or has failed.
// On success the caller must call p.mu.RUnlock.
func (p *Pebble) begin() error {
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		return ErrClosed
	}
	if err := p.failure.err(); err != nil {
		p.mu.RUnlock()
		return err
	}
	return nil
}

// recoverInto converts a pebble panic on the calling goroutine into a
// latched failure returned through err.
func (p *Pebble) recoverInto(err *error) {
	if r := recover(); r != nil {
		p.failure.set(fmt.Errorf("storage: pebble panicked: %v", r))
		*err = p.failure.err()
	}
}

// Get implements Store.
func (p *Pebble) Get(key []byte) (value []byte, err error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.mu.RUnlock()
	defer p.recoverInto(&err)
	v, closer, err := p.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("storage: get: %w", err)
	}
	value = append([]byte{}, v...)
	if err := closer.Close(); err != nil {
		return nil, fmt.Errorf("storage: get: %w", err)
	}
	return value, nil
}

// Scan implements Store; a nil end means no upper bound. fn may read from
// and write to the store.
func (p *Pebble) Scan(start, end []byte, fn func(key, value []byte) bool) (err error) {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.mu.RUnlock()
	defer p.recoverInto(&err)
	if end != nil && bytes.Compare(start, end) >= 0 {
		return nil // pebble reads an empty upper bound as none
	}
	if len(start) == 0 {
		start = nil // pebble's invariant checks index an empty lower bound
	}
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return fmt.Errorf("storage: scan: %w", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, verr := it.ValueAndErr()
		if verr != nil {
			_ = it.Close()
			return fmt.Errorf("storage: scan: %w", verr)
		}
		if !fn(it.Key(), v) {
			break
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("storage: scan: %w", err)
	}
	return p.failure.err()
}

// Apply implements Store. With sync it also makes every earlier unsynced
// write durable (they precede it in the write-ahead log).
func (p *Pebble) Apply(b *Batch, sync bool) (err error) {
	if err := checkBatch(b); err != nil {
		return err
	}
	if err := p.begin(); err != nil {
		return err
	}
	defer p.mu.RUnlock()
	defer p.recoverInto(&err)
	wo := pebble.NoSync
	if sync {
		wo = pebble.Sync
	}
	pb := p.db.NewBatch()
	defer pb.Close()
	if b.Empty() {
		if !sync {
			return nil
		}
		// An empty pebble batch skips the log entirely; a log-only record
		// still forces the sync that earlier unsynced writes wait for.
		_ = pb.LogData([]byte{0}, nil)
	}
	if b != nil {
		for _, op := range b.Ops {
			switch op.Kind {
			case OpPut:
				_ = pb.Set(op.Key, op.Value, nil)
			case OpDelete:
				_ = pb.Delete(op.Key, nil)
			case OpDeleteRange:
				_ = pb.DeleteRange(op.Key, op.End, nil)
			}
		}
	}
	if err := p.db.Apply(pb, wo); err != nil {
		p.failure.set(fmt.Errorf("storage: apply: %w", err))
		return p.failure.err()
	}
	// A failed commit reaches us only through Fatalf, after which
	// db.Apply returns nil.
	return p.failure.err()
}

// DiskUsageBytes is the space the store occupies on disk.
func (p *Pebble) DiskUsageBytes() uint64 {
	if p.begin() != nil {
		return 0
	}
	defer p.mu.RUnlock()
	return p.db.Metrics().DiskSpaceUsage()
}

// Compact compacts [start, end) now, so space freed by range deletions is
// returned to the file system without waiting for background compaction.
func (p *Pebble) Compact(ctx context.Context, start, end []byte) (err error) {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.mu.RUnlock()
	defer p.recoverInto(&err)
	if err := p.db.Compact(ctx, start, end, true); err != nil {
		return fmt.Errorf("storage: compact: %w", err)
	}
	return p.failure.err()
}

// Err returns the failure that stopped the store, or nil.
func (p *Pebble) Err() error { return p.failure.err() }

// Close implements Store. After a failure it still releases what it can
// and returns the failure.
func (p *Pebble) Close() (err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.closed = true
	defer p.recoverInto(&err)
	if failed := p.failure.err(); failed != nil {
		// Release files and goroutines; the failure is what matters.
		_ = p.db.Close()
		return failed
	}
	if err := p.db.Close(); err != nil {
		return fmt.Errorf("storage: close pebble: %w", err)
	}
	return nil
}
