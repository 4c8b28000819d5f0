package client

import (
	"slices"
	"time"

	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/wire"
)

// accept applies an execution report that f+1 replicas agree on. A
// command reported as duplicate was executed by another attempt; it waits
// for that attempt's report.
func (e *engine) accept(at *attempt, ex *wire.Executed, now time.Time) {
	fl := at.fl
	if e.c.cfg.Mode != modeBaseline && at.sequencedAt.IsZero() {
		// Executed means sequenced: the acks are late, or went to others.
		e.markSequenced(at, now)
	}
	fl.setPhase(phaseExecuting, now)
	for _, r := range ex.Results {
		i := fl.bySeq[r.Seq]
		if fl.done[i] {
			continue
		}
		if r.Duplicate {
			if fl.dupOf[i].at == nil {
				fl.dupOf[i] = execRef{at: at, ex: ex}
				if fl.dupSince.IsZero() {
					fl.dupSince = now
				}
			}
			continue
		}
		e.complete(fl, i, at, ex, r.Result, false, now)
	}
	if fl.left == 0 {
		e.finish(fl)
	}
}

// complete finishes command i of fl.
func (e *engine) complete(fl *flight, i int, at *attempt, ex *wire.Executed, result []byte, dup bool, now time.Time) {
	fl.done[i] = true
	fl.left--
	assigned := ex.Ts
	if assigned == 0 {
		assigned = at.ts
	}
	seqAt := at.sequencedAt
	if seqAt.IsZero() {
		seqAt = fl.sequencedAt
	}
	o := Outcome{
		Seq: fl.cmds[i].seq, Result: result, Height: ex.Height, Position: ex.Position, Digest: at.digest,
		AssignedTS: assigned, SentAt: fl.sentAt, SequencedAt: seqAt, AckedAt: at.ackedAt, ExecutedAt: now,
		Attempts: max(fl.nAttempts, 1), Duplicate: dup,
	}
	if dup {
		e.c.counters.duplicates.Add(1)
	} else {
		e.c.counters.executed.Add(1)
	}
	e.record(fl, o)
	e.deliver(fl.cmds[i], o)
}

// deliver hands an outcome to the callback goroutine. The channel holds
// one entry per pending command, so this never blocks.
func (e *engine) deliver(cmd *command, o Outcome) {
	e.c.counters.pending.Add(-1)
	e.c.callbacks <- completion{done: cmd.done, outcome: o}
}

// finish forgets a completed flight and all its digests.
func (e *engine) finish(fl *flight) {
	for _, at := range fl.attempts {
		delete(e.digests, at.digest)
	}
	if i := slices.Index(e.flights, fl); i >= 0 {
		e.flights = slices.Delete(e.flights, i, i+1)
	}
}

// shutdown completes every pending command with ErrClosed. Commands that
// were sent get a record without execution; commands still queued were
// never sent and get none.
func (e *engine) shutdown() {
	for _, fl := range e.flights {
		for i, cmd := range fl.cmds {
			if fl.done[i] {
				continue
			}
			o := Outcome{Seq: cmd.seq, SentAt: fl.sentAt, SequencedAt: fl.sequencedAt, AckedAt: fl.firstAcked(), Attempts: max(fl.nAttempts, 1)}
			if fl.cur != nil && !fl.cur.sequencedAt.IsZero() {
				o.AssignedTS = fl.cur.ts
			}
			e.record(fl, o)
			o.Err = ErrClosed
			e.deliver(cmd, o)
		}
	}
	e.flights = nil
	for _, cmd := range e.queue {
		e.deliver(cmd, Outcome{Seq: cmd.seq, Err: ErrClosed})
	}
	e.queue = nil
	for {
		select {
		case cmd := <-e.c.submitted:
			e.c.counters.pending.Add(1)
			e.deliver(cmd, Outcome{Seq: cmd.seq, Err: ErrClosed})
		default:
			return
		}
	}
}

// record writes the command's record. Its sequenced_us is o.AckedAt, when
// the client saw 2f+1 sequence acks, and not o.SequencedAt, which is the
// execution time when the execution report came first: the record's field
// measures ordering latency, and an execution report says only that the
// batch was sequenced at some earlier time. A failing writer is logged
// once and then left alone: records are an observation, not the protocol.
func (e *engine) record(fl *flight, o Outcome) {
	w := e.c.records
	if w == nil || e.recordErr != nil {
		return
	}
	r := runlog.ClientRecord{
		Seq:       o.Seq,
		SentUs:    o.SentAt.UnixMicro(),
		ReplicaTs: fl.replicaTS,
		Attempts:  o.Attempts,
		Height:    o.Height,
		Position:  o.Position,
	}
	copy(r.Client[:], e.c.id[:])
	if o.AssignedTS > 0 {
		r.AssignedTsUs = uint64(o.AssignedTS)
	}
	if !o.AckedAt.IsZero() {
		r.SequencedUs = o.AckedAt.UnixMicro()
	}
	if !o.ExecutedAt.IsZero() {
		r.ExecutedUs = o.ExecutedAt.UnixMicro()
		copy(r.Digest[:], o.Digest[:])
	}
	if r.ReplicaTs == nil {
		r.ReplicaTs = []runlog.ReplicaTimestamp{}
	}
	if err := w.Write(r); err != nil {
		e.recordFailed(err)
	}
}

// firstAcked is when the first of fl's attempts gathered 2f+1 acks, or
// zero.
func (fl *flight) firstAcked() time.Time {
	var first time.Time
	for _, at := range fl.attempts {
		if !at.ackedAt.IsZero() && (first.IsZero() || at.ackedAt.Before(first)) {
			first = at.ackedAt
		}
	}
	return first
}

func (e *engine) recordFailed(err error) {
	e.recordErr = err
	e.c.log.Error("client records stopped", "err", err)
}
