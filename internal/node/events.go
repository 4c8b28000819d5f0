package node

import (
	"log/slog"
	"time"

	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/ratelog"
)

// viewChangeLogInterval is the least time between two view-change lines: a
// flapping cluster (a leader that keeps failing, a partition that comes and
// goes) writes one summary line per interval, not one line per view.
const viewChangeLogInterval = 10 * time.Second

// viewChangeLog logs the consensus core's view changes at INFO. The first
// change after a quiet interval is logged at once with its reason; the
// changes that follow within the interval are counted by reason and logged
// as one summary line when the interval has passed (or at shutdown). Its
// state is a few counters, whatever the rate of changes.
type viewChangeLog struct {
	log      *slog.Logger
	interval time.Duration

	lastLine time.Time // when the last line was written (zero: never)
	pending  int       // changes since then, not yet logged
	byReason [hotstuff.ViewSkipped + 1]int
	first    hotstuff.ViewChange // first and last of the pending changes
	last     hotstuff.ViewChange
}

func newViewChangeLog(log *slog.Logger, interval time.Duration) *viewChangeLog {
	return &viewChangeLog{log: log, interval: interval}
}

// add takes one Ready's view changes at now.
func (l *viewChangeLog) add(now time.Time, ev *hotstuff.Events) {
	for _, vc := range ev.ViewChanges {
		l.flush(now, false)
		if l.pending == 0 && (l.lastLine.IsZero() || now.Sub(l.lastLine) >= l.interval) {
			l.log.Info("view change", "reason", vc.Reason.String(), "from_view", vc.From, "to_view", vc.To,
				"failed_leader", vc.Leader)
			l.lastLine = now
			continue
		}
		if l.pending == 0 {
			l.first = vc
		}
		l.pending++
		if int(vc.Reason) < len(l.byReason) {
			l.byReason[vc.Reason]++
		}
		l.last = vc
	}
	if ev.MoreViewChanges > 0 {
		// Past the core's per-Ready bound: counted, reason unknown.
		l.pending += ev.MoreViewChanges
	}
	l.flush(now, false)
}

// flush writes the pending summary once the interval has passed since the
// last line, or at once when final (shutdown).
func (l *viewChangeLog) flush(now time.Time, final bool) {
	if l.pending == 0 || (!final && now.Sub(l.lastLine) < l.interval) {
		return
	}
	l.log.Info("view changes", "count", l.pending,
		"timeout_certificate", l.byReason[hotstuff.ViewTimedOut],
		"joined_timeouts", l.byReason[hotstuff.ViewJoinedTimeouts],
		"skipped_views", l.byReason[hotstuff.ViewSkipped],
		"since", now.Sub(l.lastLine).Round(time.Millisecond).String(),
		"from_view", l.first.From, "to_view", l.last.To, "last_reason", l.last.Reason.String())
	l.lastLine = now
	l.pending = 0
	l.byReason = [len(l.byReason)]int{}
}

// logEvents logs what the core reported in one Ready, and the first commit.
func (n *Node) logEvents(rd *hotstuff.Events, committedBlocks int) {
	now := time.Now()
	n.viewLog.add(now, rd)
	if c := rd.CatchUpStarted; c != nil {
		// Behind the cluster: fetching the blocks it missed.
		n.catchLog.Log(slog.LevelInfo, "catch-up started", "catch-up started",
			"view", c.View, "committed", c.Height, "certified_view", c.TargetView)
		n.catchUpAt = now
	}
	if c := rd.CatchUpFinished; c != nil {
		attrs := []any{"view", c.View, "committed", c.Height, "certified_view", c.TargetView}
		if !n.catchUpAt.IsZero() {
			attrs = append(attrs, "took", now.Sub(n.catchUpAt).Round(time.Millisecond).String())
		}
		// It holds every certified block it knows of.
		n.catchLog.Log(slog.LevelInfo, "catch-up finished", "catch-up finished", attrs...)
		n.catchUpAt = time.Time{}
	}
	if committedBlocks > 0 && !n.firstCommitLogged {
		n.firstCommitLogged = true
		n.log.Info("first commit", "committed", n.r.Core().CommittedHeight(), "view", n.r.Core().View(),
			"since_start", now.Sub(n.startedAt).Round(time.Millisecond).String())
	}
}

// newCatchUpLog rate-limits catch-up lines per kind (a replica on a link
// that keeps failing could otherwise start and finish a catch-up every few
// views).
func newCatchUpLog(log *slog.Logger) *ratelog.Logger {
	return ratelog.New(log, viewChangeLogInterval, 4)
}
