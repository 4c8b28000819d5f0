package execution

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
	"github.com/pompe-bft/pompe/pkg/app"
)

// keySnapshot holds the newest execution snapshot record.
var keySnapshot = []byte{'X'}

// Config tunes the executor.
type Config struct {
	// SnapshotEveryBlocks is how often (in executed blocks) a snapshot record
	// is written. It must stay well below the consensus retention.
	SnapshotEveryBlocks uint64
	// SnapshotBytesPerCommand, when set, spaces snapshots by the state's
	// size: after SnapshotEveryBlocks blocks a snapshot is due only once the
	// commands executed since the last one, times this, reach the size of
	// the last record (or SnapshotMaxBlocks blocks have passed). A snapshot
	// serializes the whole state on the replica's loop and writes it to the
	// log that every later sync flushes, so with a large state a fixed
	// block interval spends more on snapshots than on executing, and stalls
	// the replica each time. 0 keeps the fixed interval.
	SnapshotBytesPerCommand int
	// SnapshotMaxBlocks bounds the interval when SnapshotBytesPerCommand is
	// set (default 10 * SnapshotEveryBlocks); it must stay well below the
	// consensus retention, which replay after a restart needs.
	SnapshotMaxBlocks uint64
	// ReplyCacheEntries bounds the Executed replies kept for clients that
	// ask again; ReplyCacheCommands bounds the commands their results cover
	// (default 1<<18: seconds of replies at any batch size).
	ReplyCacheEntries  int
	ReplyCacheCommands int
}

// Executor applies committed blocks to an application.
type Executor struct {
	cfg      Config
	app      app.Application
	dedup    dedup
	height   uint64
	lastSnap uint64
	// lastSnapBytes and executedAtSnap describe the newest snapshot, for
	// SnapshotBytesPerCommand.
	lastSnapBytes  int
	executedAtSnap uint64
	cmds           []app.Command
	executed       uint64
	duplicate      uint64
	replies        *replyCache // recent Executed replies by batch
}

// Result is what executing some blocks produced.
type Result struct {
	Writes  storage.Batch
	Replies []outbox.ClientEnvelope
	Log     []runlog.ExecEntry
}

// New restores the executor and application from the newest snapshot in
// store (or starts empty).
func New(cfg Config, a app.Application, store storage.Store) (*Executor, error) {
	if cfg.SnapshotEveryBlocks == 0 {
		cfg.SnapshotEveryBlocks = 500
	}
	if cfg.SnapshotMaxBlocks < cfg.SnapshotEveryBlocks {
		cfg.SnapshotMaxBlocks = 10 * cfg.SnapshotEveryBlocks
	}
	if cfg.ReplyCacheCommands <= 0 {
		cfg.ReplyCacheCommands = 1 << 18
	}
	if cfg.ReplyCacheEntries <= 0 {
		cfg.ReplyCacheEntries = 1 << 16
	}
	e := &Executor{cfg: cfg, app: a, dedup: make(dedup), replies: newReplyCache(cfg.ReplyCacheEntries, cfg.ReplyCacheCommands)}
	rec, err := store.Get(keySnapshot)
	if errors.Is(err, storage.ErrNotFound) {
		return e, nil
	}
	if err != nil {
		return nil, fmt.Errorf("execution: read snapshot: %w", err)
	}
	if err := e.restore(rec); err != nil {
		return nil, err
	}
	return e, nil
}

// Height is the height of the last executed block.
func (e *Executor) Height() uint64 { return e.height }

// Counts returns commands executed and duplicates skipped so far.
func (e *Executor) Counts() (executed, duplicates uint64) { return e.executed, e.duplicate }

// Execute applies blocks above the executed height, in order; blocks at or
// below it (already executed before a restart) are skipped.
func (e *Executor) Execute(blocks []outbox.ExecBlock) Result {
	var res Result
	for _, b := range blocks {
		if b.Height <= e.height {
			continue
		}
		e.executeBlock(b, &res)
		e.height = b.Height
		if e.snapshotDue() {
			if err := e.snapshot(&res.Writes); err == nil {
				e.lastSnap = e.height
			}
		}
	}
	return res
}

// snapshotDue reports whether the executed height calls for a snapshot.
func (e *Executor) snapshotDue() bool {
	blocks := e.height - e.lastSnap
	if blocks < e.cfg.SnapshotEveryBlocks {
		return false
	}
	per := e.cfg.SnapshotBytesPerCommand
	if per <= 0 || blocks >= e.cfg.SnapshotMaxBlocks {
		return true
	}
	return (e.executed-e.executedAtSnap)*uint64(per) >= uint64(e.lastSnapBytes)
}

type placed struct {
	batch int
	index int
}

func (e *Executor) executeBlock(b outbox.ExecBlock, res *Result) {
	e.cmds = e.cmds[:0]
	var where []placed
	dup := make([][]bool, len(b.Batches))
	for bi, eb := range b.Batches {
		dup[bi] = make([]bool, len(eb.Batch.Commands))
		for ci, c := range eb.Batch.Commands {
			id, err := crypto.ClientIDFromBytes(c.ClientId)
			if err != nil {
				dup[bi][ci] = true
				continue
			}
			s := e.dedup[id]
			if s == nil {
				s = &seqSet{}
				e.dedup[id] = s
			}
			if s.has(c.Seq) {
				dup[bi][ci] = true
				e.duplicate++
				continue
			}
			s.add(c.Seq)
			var cmd app.Command
			copy(cmd.Client[:], id[:])
			cmd.Seq, cmd.Payload = c.Seq, c.Payload
			e.cmds = append(e.cmds, cmd)
			where = append(where, placed{bi, ci})
		}
	}
	results := e.app.Execute(b.Height, e.cmds)
	e.executed += uint64(len(e.cmds))
	out := make([][]*wire.CommandResult, len(b.Batches))
	for i, w := range where {
		var r []byte
		if i < len(results) {
			r = results[i]
		}
		eb := b.Batches[w.batch]
		c := eb.Batch.Commands[w.index]
		out[w.batch] = append(out[w.batch], &wire.CommandResult{Seq: c.Seq, Result: r})
		var le runlog.ExecEntry
		le.Height, le.Position, le.Index = b.Height, uint32(w.batch), uint32(w.index)
		copy(le.Digest[:], eb.Digest[:])
		copy(le.Client[:], c.ClientId)
		le.Seq = c.Seq
		if eb.TS > 0 {
			le.TsUs = uint64(eb.TS)
		}
		res.Log = append(res.Log, le)
	}
	for bi, eb := range b.Batches {
		for ci, c := range eb.Batch.Commands {
			if dup[bi][ci] {
				out[bi] = append(out[bi], &wire.CommandResult{Seq: c.Seq, Duplicate: true})
			}
		}
		to, err := crypto.ClientIDFromBytes(eb.Batch.Submitter)
		if err != nil {
			continue
		}
		msg := &wire.ClientMessage{Body: &wire.ClientMessage_Executed{Executed: &wire.Executed{
			Digest: eb.Digest[:], Height: b.Height, Position: uint32(bi), Ts: eb.TS, Results: out[bi],
		}}}
		e.replies.put(eb.Digest, cachedReply{to: to, msg: msg}, len(out[bi]))
		res.Replies = append(res.Replies, outbox.ClientEnvelope{To: to, Msg: msg})
	}
}

// Snapshot writes a snapshot record now (used at clean shutdown).
func (e *Executor) Snapshot(w *storage.Batch) error {
	if err := e.snapshot(w); err != nil {
		return err
	}
	e.lastSnap = e.height
	return nil
}

func (e *Executor) snapshot(w *storage.Batch) error {
	st, err := e.app.Snapshot()
	if err != nil {
		return fmt.Errorf("execution: application snapshot: %w", err)
	}
	dd := e.dedup.encode()
	rec := binary.AppendUvarint(nil, e.height)
	rec = binary.AppendUvarint(rec, e.executed)
	rec = binary.AppendUvarint(rec, uint64(len(dd)))
	rec = append(rec, dd...)
	rec = append(rec, st...)
	w.Put(keySnapshot, rec)
	e.lastSnapBytes, e.executedAtSnap = len(rec), e.executed
	return nil
}

func (e *Executor) restore(rec []byte) error {
	size := len(rec)
	h, k := binary.Uvarint(rec)
	if k <= 0 {
		return errors.New("execution: corrupt snapshot record")
	}
	rec = rec[k:]
	executed, k := binary.Uvarint(rec)
	if k <= 0 {
		return errors.New("execution: corrupt snapshot record")
	}
	rec = rec[k:]
	n, k := binary.Uvarint(rec)
	if k <= 0 || uint64(len(rec)-k) < n {
		return errors.New("execution: corrupt snapshot record")
	}
	rec = rec[k:]
	d, err := decodeDedup(rec[:n])
	if err != nil {
		return err
	}
	if err := e.app.Restore(rec[n:]); err != nil {
		return fmt.Errorf("execution: restore application: %w", err)
	}
	e.dedup, e.height, e.lastSnap, e.executed = d, h, h, executed
	e.lastSnapBytes, e.executedAtSnap = size, executed
	return nil
}

// Reply returns the cached Executed reply of batch d if client submitted it.
func (e *Executor) Reply(client crypto.ClientID, d batch.Digest) (*wire.ClientMessage, bool) {
	r, ok := e.replies.get(d)
	if !ok || r.to != client {
		return nil, false
	}
	return r.msg, true
}
