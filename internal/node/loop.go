package node

import (
	"context"
	"fmt"
	"time"

	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/internal/wire"
)

// maxInputsPerTurn bounds how many queued inputs share one turn, so that a
// flood of one kind cannot starve the timer or delay sends without bound.
const maxInputsPerTurn = 512

func (n *Node) loop(ctx context.Context) error {
	stop := make(chan struct{})
	defer close(stop)
	pv := n.startPreverify(stop)
	in, cin := n.tr.Inbound(), pv.client
	timer := time.NewTimer(n.tick)
	defer timer.Stop()
	q := make(chan outgoing, sendQueueTurns)
	failed := make(chan error, 1)
	done := make(chan struct{})
	n.sendq = q
	n.sendBytes = newSendBudget(sendQueueBytes)
	go n.sender(q, n.sendBytes, failed, done)
	defer func() {
		close(q)
		<-done
		n.sendq = nil
	}()
	if err := n.replay(ctx); err != nil {
		return err
	}
	turn := turnInputs{in: in, cin: cin,
		peer:   func(m transport.Inbound) { n.stepPeer(m.From, m.Msg); m.Release() },
		client: func(m transport.ClientInbound) { n.stepClient(m); m.Release() },
	}
	idleTicks := 0
	for {
		ticked := false
		clientBytes := 0
		select {
		case <-ctx.Done():
			return nil
		case err := <-failed:
			return fmt.Errorf("node: storage: %w", err)
		case m, ok := <-in:
			if !ok {
				return nil
			}
			turn.peer(m)
		case m, ok := <-cin:
			if !ok {
				return nil
			}
			clientBytes = clientWork(m.Msg)
			turn.client(m)
		case <-timer.C:
			n.r.Tick(n.now())
			ticked = true
		}
		start := time.Now()
		inputs := turn.drain(1, clientBytes)
		n.m.turnInputs.Observe(float64(inputs))
		n.m.inboundQueue.Set(float64(len(in)))
		n.m.clientQueue.Set(float64(len(cin)))
		if err := n.handleReady(ctx); err != nil {
			return err
		}
		n.m.turnSeconds.Observe(time.Since(start).Seconds())
		if ticked && inputs == 1 {
			idleTicks++
		} else {
			idleTicks = 0
		}
		n.resetTimer(timer, idleTicks)
	}
}

func (n *Node) stepPeer(from uint32, m *wire.Message) {
	if n.byz != nil {
		n.byzantineIn(from, m)
	}
	if err := n.r.Step(n.now(), from, m); err != nil {
		n.m.stepErrors.WithLabelValues("replica").Inc()
		n.log.Debug("refused replica message", "from", from, "err", err)
	}
}

func (n *Node) stepClient(m transport.ClientInbound) {
	if err := n.r.StepClient(n.now(), m.Client, m.Msg); err != nil {
		n.m.stepErrors.WithLabelValues("client").Inc()
		n.log.Debug("refused client message", "client", m.Client, "err", err)
	}
}

// idleBackoffTicks is how many turns with nothing but a tick pass before
// the tick period doubles, up to maxIdleTickShift doublings: an idle
// replica then wakes about 12 times a second instead of 100, and any input
// brings the period straight back (inputs never wait for the timer; only
// timeouts and retries of an otherwise idle replica are coarser).
const (
	idleBackoffTicks = 20
	maxIdleTickShift = 3
)

func (n *Node) resetTimer(t *time.Timer, idleTicks int) {
	d := n.tick << min(idleTicks/idleBackoffTicks, maxIdleTickShift)
	if w := n.r.WakeAt(); w > 0 {
		if until := time.Duration(w-n.now()) * time.Microsecond; until < d {
			d = until
		}
	}
	if d < 0 {
		d = 0
	}
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(d)
}

// handleReady carries out one Ready: apply its writes (unsynced), execute
// committed blocks, and queue the turn's messages and replies for the sender,
// which syncs before it sends.
func (n *Node) handleReady(ctx context.Context) error {
	rd := n.r.Ready()
	if rd.Violation != nil {
		n.log.Error("safety violation detected", "err", rd.Violation)
	}
	out := outgoing{messages: rd.Messages, client: rd.Client, barrier: rd.Barrier}
	if !rd.Writes.Empty() {
		err := n.checkDisk()
		if err == nil {
			err = n.store.Apply(&rd.Writes, false)
		}
		if err != nil {
			n.log.Error("storage write failed; stopping so that nothing unpersisted is acknowledged", "err", err)
			return fmt.Errorf("node: storage: %w", err)
		}
		out.sync = n.sync
	}
	n.resend(rd.Resend, &out)
	if len(rd.Committed) > 0 {
		res := n.exec.Execute(rd.Committed)
		// Execution results follow from certified blocks alone, not from
		// this replica's unsynced writes: they go early.
		for i := range res.Replies {
			res.Replies[i].Early = true
		}
		out.client = append(out.client, res.Replies...)
		if err := n.logExecuted(res.Log, !res.Writes.Empty()); err != nil {
			n.log.Error("execution log write failed; stopping so that no entry goes missing (a restart replays the blocks since the last snapshot and logs them again)", "err", err)
			return err
		}
		if !res.Writes.Empty() {
			// Snapshots need no sync: a lost one is replaced by replay.
			if err := n.store.Apply(&res.Writes, false); err != nil {
				return fmt.Errorf("node: storage: %w", err)
			}
		}
		n.m.committedBlocks.Add(float64(len(rd.Committed)))
		for _, b := range rd.Committed {
			n.m.executedBatches.Add(float64(len(b.Batches)))
		}
		executed, dups := n.exec.Counts()
		n.m.executedCmds.Add(float64(executed - n.lastExecuted))
		n.m.duplicateCmds.Add(float64(dups - n.lastDuplicates))
		n.lastExecuted, n.lastDuplicates = executed, dups
		if !n.lastCommit.IsZero() {
			n.m.commitSeconds.Observe(time.Since(n.lastCommit).Seconds())
		}
		n.lastCommit = time.Now()
	}
	n.logEvents(&rd.Events, len(rd.Committed))
	if n.byz != nil {
		n.byzantineOut(&out)
	}
	if len(out.messages) > 0 || len(out.client) > 0 || out.sync {
		if !n.sendBytes.charge(ctx, &out) {
			return nil // stopping: the loop sees ctx next
		}
		n.sendq <- out
	}
	core := n.r.Core()
	n.m.committedHeight.Set(float64(core.CommittedHeight()))
	if v := core.View(); v != n.lastView {
		n.m.viewChanges.Add(float64(v - n.lastView))
		n.m.view.Set(float64(v))
		n.m.leader.Set(float64(core.Leader(v)))
		n.lastView = v
	}
	return nil
}

// resend queues the cached Executed replies clients asked for again, each
// at most once a turn and within the reply budget (package replybudget):
// asking again costs a client a few bytes, and the reply may hold a whole
// batch's results. A refused resend is skipped; the client asks again.
func (n *Node) resend(rs []outbox.Resend, out *outgoing) {
	if len(rs) == 0 {
		return
	}
	now := time.Now()
	seen := make(map[outbox.Resend]struct{}, len(rs))
	for _, r := range rs {
		if _, dup := seen[r]; dup {
			continue
		}
		seen[r] = struct{}{}
		m, size, ok := n.exec.Reply(r.Client, r.Digest)
		if !ok {
			continue
		}
		if !n.resends.Allow(r.Client, size, now) {
			n.m.resendsRefused.Inc()
			continue
		}
		out.client = append(out.client, outbox.ClientEnvelope{To: r.Client, Msg: m, Early: true})
	}
}

// logExecuted appends executed commands to the execution log, skipping
// heights a previous run of this replica already logged (replay after a
// restart), and hands them to the kernel; before a snapshot (snapshot
// true) it also syncs, since a snapshot moves replay past these heights
// for good. Any error is final for this run: the writer's first error is
// sticky, and a log with a hole in it is worse than a replica that stops.
// The caller stops the node before the snapshot is written, so a restart
// replays every block whose entries may be missing and logs them again
// (entries already in the file are skipped, a torn last line is cut).
func (n *Node) logExecuted(entries []runlog.ExecEntry, snapshot bool) error {
	for _, e := range entries {
		if !after(e, n.logged) {
			continue
		}
		if err := n.execLog.Write(e); err != nil {
			return fmt.Errorf("node: execution log: %w", err)
		}
		n.logged = e
	}
	// The log reaches the kernel before a snapshot can move replay past
	// these heights: a killed process loses no entry it executed.
	if err := n.execLog.Flush(); err != nil {
		return fmt.Errorf("node: execution log: %w", err)
	}
	if snapshot {
		if err := n.execLog.Sync(); err != nil {
			return fmt.Errorf("node: execution log: %w", err)
		}
	}
	return nil
}

// after reports whether e comes after the entry last in execution order.
func after(e, last runlog.ExecEntry) bool {
	if e.Height != last.Height {
		return e.Height > last.Height
	}
	if e.Position != last.Position {
		return e.Position > last.Position
	}
	return e.Index > last.Index
}
