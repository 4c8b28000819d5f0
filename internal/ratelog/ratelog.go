package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultInterval is how often one key may log.
const DefaultInterval = 10 * time.Second

// DefaultMaxKeys bounds the keys remembered. Beyond it, lines of new keys
// share one overflow key, so a flood of distinct sources costs a bounded
// table and still logs a line per interval.
const DefaultMaxKeys = 1024

// overflowKey collects the lines of keys that found the table full.
const overflowKey = "\x00overflow"

// Logger writes throttled lines to an slog.Logger. It is safe for
// concurrent use; the zero value is not usable, call New.
type Logger struct {
	log      *slog.Logger
	interval time.Duration
	maxKeys  int
	now      func() time.Time

	mu         sync.Mutex
	keys       map[string]*keyState
	suppressed uint64 // lines held back since the last report
	lastReport time.Time
}

type keyState struct {
	last       time.Time // when the key last wrote a line
	suppressed uint64    // lines held back since then
}

// New throttles lines to log: one per key per interval (0: DefaultInterval),
// with at most maxKeys keys remembered (0: DefaultMaxKeys).
func New(log *slog.Logger, interval time.Duration, maxKeys int) *Logger {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Logger{log: log, interval: interval, maxKeys: max(2, maxKeys), now: time.Now, keys: make(map[string]*keyState)}
}

// Log writes msg at level unless key already wrote a line within the
// interval, in which case the line is counted instead. A written line
// carries "suppressed": how many of the key's lines were held back before
// it. It reports whether the line was written.
func (l *Logger) Log(level slog.Level, key, msg string, attrs ...any) bool {
	now := l.now()
	l.mu.Lock()
	report, total := l.reportDue(now)
	st := l.keys[key]
	if st == nil {
		if len(l.keys) >= l.maxKeys-1 { // one place stays for the overflow key
			key = overflowKey
			st = l.keys[key]
		}
		if st == nil {
			st = &keyState{}
			l.keys[key] = st
		}
	}
	write := st.last.IsZero() || now.Sub(st.last) >= l.interval
	var held uint64
	if write {
		held = st.suppressed
		st.last, st.suppressed = now, 0
	} else {
		st.suppressed++
		l.suppressed++
	}
	l.mu.Unlock()

	ctx := context.Background()
	if report {
		l.log.Log(ctx, slog.LevelWarn, "log lines suppressed by rate limit", "lines", total, "interval", l.interval)
	}
	if !write {
		return false
	}
	if held > 0 {
		attrs = append(attrs, "suppressed", held)
	}
	l.log.Log(ctx, level, msg, attrs...)
	return true
}

// reportDue decides, with l.mu held, whether the total held back since the
// last report is due, and forgets keys that wrote nothing for two
// intervals (their held-back lines are in a total already reported).
func (l *Logger) reportDue(now time.Time) (bool, uint64) {
	if l.lastReport.IsZero() {
		l.lastReport = now
	}
	if now.Sub(l.lastReport) < l.interval {
		return false, 0
	}
	l.lastReport = now
	for k, st := range l.keys {
		if now.Sub(st.last) >= 2*l.interval {
			delete(l.keys, k)
		}
	}
	total := l.suppressed
	l.suppressed = 0
	return total > 0, total
}

// Keys reports how many keys are remembered.
func (l *Logger) Keys() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
