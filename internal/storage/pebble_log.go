package storage

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// failureLatch keeps the first fatal error of a store.
type failureLatch struct {
	mu    sync.Mutex
	first error
}

func (f *failureLatch) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.first == nil {
		f.first = err
	}
}

func (f *failureLatch) err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.first
}

// pebbleLogger routes pebble's logging to slog and turns Fatalf, which
// pebble expects never to return, into a latched failure.
type pebbleLogger struct {
	log     *slog.Logger
	failure *failureLatch
}

func (l *pebbleLogger) Infof(format string, args ...any) {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug(fmt.Sprintf(format, args...))
	}
}

func (l *pebbleLogger) Errorf(format string, args ...any) {
	l.log.Warn(fmt.Sprintf(format, args...))
}

func (l *pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Error("storage failed", "reason", msg)
	l.failure.set(fmt.Errorf("storage: pebble failed: %s", msg))
}

// pebbleEvents keeps routine events at debug level and latches a failure
// on detected corruption.
func pebbleEvents(log *slog.Logger, failure *failureLatch) *pebble.EventListener {
	return &pebble.EventListener{
		BackgroundError: func(err error) {
			// Flushes and compactions retry; a persistent error here (a full
			// disk) surfaces on the next synced write.
			log.Warn("background error", "err", err)
		},
		DataCorruption: func(info pebble.DataCorruptionInfo) {
			log.Error("data corruption", "info", info.String())
			failure.set(fmt.Errorf("storage: data corruption: %s", info.String()))
		},
		WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
			log.Debug("write stall", "reason", info.Reason)
		},
		DiskSlow: func(info pebble.DiskSlowInfo) {
			log.Debug("disk slow", "info", info.String())
		},
	}
}
