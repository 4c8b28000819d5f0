package execution

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

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
	// (default 1<<18: seconds of replies at any batch size);
	// ReplyCacheBytes bounds their encoded size (default 64 MiB) and
	// ReplyCacheClientBytes one client's share of it (default 8 MiB). At
	// a bound the oldest replies (of that client, for its share) go first.
	ReplyCacheEntries     int
	ReplyCacheCommands    int
	ReplyCacheBytes       int
	ReplyCacheClientBytes int

	// Results bounds the results of one command, one batch (one Executed
	// reply) and one block (app.ResultLimits; defaults 1 MiB, 4 MiB and
	// 16 MiB), by the rule of app.ResultBudget. They are part of the
	// replicated state machine: every replica of a cluster must use the
	// same values, since they decide which results become errors.
	Results app.ResultLimits

	// MaxReplyBytesPerCall bounds the encoded Executed replies one Execute
	// call returns for sending (default 64 MiB). Replay after a restart
	// executes many blocks in one call; replies beyond the bound are not
	// sent but stay in the reply cache (within its bounds) for clients that
	// ask again. Not part of the replicated state.
	MaxReplyBytesPerCall int
}

// Defaults of the byte bounds of Config.
const (
	DefaultReplyCacheBytes       = 64 << 20
	DefaultReplyCacheClientBytes = 8 << 20
	DefaultMaxReplyBytesPerCall  = 64 << 20
)

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
	refused        uint64      // results replaced for breaking a result limit
	unsent         uint64      // replies left out of a Result by MaxReplyBytesPerCall
	replies        *replyCache // recent Executed replies by batch
}

// Result is what executing some blocks produced.
type Result struct {
	Writes  storage.Batch
	Replies []outbox.ClientEnvelope
	Log     []runlog.ExecEntry

	replyBytes int // encoded size of Replies
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
	if cfg.ReplyCacheBytes <= 0 {
		cfg.ReplyCacheBytes = DefaultReplyCacheBytes
	}
	if cfg.ReplyCacheClientBytes <= 0 {
		cfg.ReplyCacheClientBytes = min(DefaultReplyCacheClientBytes, cfg.ReplyCacheBytes)
	}
	cfg.Results = cfg.Results.WithDefaults()
	if cfg.MaxReplyBytesPerCall <= 0 {
		cfg.MaxReplyBytesPerCall = DefaultMaxReplyBytesPerCall
	}
	e := &Executor{cfg: cfg, app: a, dedup: make(dedup),
		replies: newReplyCache(cfg.ReplyCacheEntries, cfg.ReplyCacheCommands, cfg.ReplyCacheBytes, cfg.ReplyCacheClientBytes)}
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

// Bounded returns the results replaced by an error for breaking a result
// limit, and the replies not sent because one call's replies reached
// MaxReplyBytesPerCall, so far.
func (e *Executor) Bounded() (refusedResults, unsentReplies uint64) { return e.refused, e.unsent }

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
	// Sized once: the block's commands, at most batch.Limits' per batch
	// times the batches a block may hold, all already in memory.
	total := 0
	for _, eb := range b.Batches {
		total += len(eb.Batch.Commands)
	}
	where := make([]placed, 0, total)
	res.Log = slices.Grow(res.Log, total)
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
			cmd.Seq, cmd.Payload, cmd.Batch = c.Seq, c.Payload, bi
			e.cmds = append(e.cmds, cmd)
			where = append(where, placed{bi, ci})
		}
	}
	results := e.app.Execute(b.Height, e.cmds, e.cfg.Results)
	e.executed += uint64(len(e.cmds))
	budget := app.NewResultBudget(e.cfg.Results)
	out := make([][]*wire.CommandResult, len(b.Batches))
	for bi, eb := range b.Batches {
		out[bi] = make([]*wire.CommandResult, 0, len(eb.Batch.Commands))
	}
	for i, w := range where {
		var r []byte
		if i < len(results) {
			r = results[i]
		}
		r = e.bound(budget, r, w.batch)
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
		size := proto.Size(msg)
		e.replies.put(eb.Digest, &cachedReply{to: to, msg: msg, commands: len(out[bi]), bytes: size})
		if res.replyBytes+size > e.cfg.MaxReplyBytesPerCall && len(res.Replies) > 0 {
			e.unsent++
			continue
		}
		res.replyBytes += size
		res.Replies = append(res.Replies, outbox.ClientEnvelope{To: to, Msg: msg})
	}
}

// bound applies the result limits (app.ResultBudget) to r, the result of
// a command of batch batchIndex: a refused result becomes the
// application's ErrorResult with the reason, or an empty result if the
// application breaks its contract with a longer one. The decision reads
// only the block and the results the deterministic application returned,
// so it is identical at every replica.
func (e *Executor) bound(budget *app.ResultBudget, r []byte, batchIndex int) []byte {
	reason := budget.Admit(batchIndex, len(r))
	if reason == "" {
		return r
	}
	e.refused++
	r = e.app.ErrorResult(reason)
	if len(r) > app.MaxErrorResultBytes {
		return nil
	}
	return r
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

// Reply returns the cached Executed reply of batch d, and its encoded size,
// if client submitted it.
func (e *Executor) Reply(client crypto.ClientID, d batch.Digest) (*wire.ClientMessage, int, bool) {
	r, ok := e.replies.get(d)
	if !ok || r.to != client {
		return nil, 0, false
	}
	return r.msg, r.bytes, true
}
