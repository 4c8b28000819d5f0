//go:build linux

package e2e

import (
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// lateProgress reads the client records of a local run in dir whose load
// lasted load, and returns how many commands executed in all and how many
// executed in the last third of the load. A cluster that a Byzantine replica
// stops (the attacks of internal/byzantine/ordering_attacks.go did, for
// good) executes nothing after the stop; a slowed one still executes in
// every third. The check counts, it times nothing.
func lateProgress(t *testing.T, dir string, load time.Duration) (executed, late int) {
	t.Helper()
	var recs []runlog.ClientRecord
	first := int64(0)
	if err := runlog.EachClientRecord(dir, func(rec runlog.ClientRecord) {
		recs = append(recs, rec)
		if first == 0 || rec.SentUs < first {
			first = rec.SentUs
		}
	}); err != nil {
		t.Fatal(err)
	}
	cut := first + load.Microseconds()*2/3
	for _, rec := range recs {
		if rec.ExecutedUs != 0 {
			executed++
			if rec.ExecutedUs >= cut {
				late++
			}
		}
	}
	return executed, late
}
