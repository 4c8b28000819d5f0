//go:build linux

package e2e

import (
	"errors"
	"io"
	"os"
	"path/filepath"
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
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var recs []runlog.ClientRecord
	first := int64(0)
	for _, e := range entries {
		if _, ok := runlog.ParseClientRecordsName(e.Name()); !ok {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		r := runlog.NewClientRecordReader(f)
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) || errors.Is(err, runlog.ErrTruncated) {
				break
			}
			if err != nil {
				f.Close()
				t.Fatal(err)
			}
			recs = append(recs, rec)
			if first == 0 || rec.SentUs < first {
				first = rec.SentUs
			}
		}
		f.Close()
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
