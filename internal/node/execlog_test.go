package node

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// failAfter accepts n bytes, then fails every write, as a full or broken
// disk does.
type failAfter struct {
	n   int
	buf bytes.Buffer
}

var errDisk = errors.New("no space left on device")

func (f *failAfter) Write(p []byte) (int, error) {
	if f.buf.Len()+len(p) > f.n {
		return 0, errDisk
	}
	return f.buf.Write(p)
}

func entry(h uint64) runlog.ExecEntry { return runlog.ExecEntry{Height: h, Seq: h} }

// TestExecutionLogFailureIsFinal: once the execution log cannot be
// written, logExecuted reports it (the node stops before a snapshot moves
// replay past the lost entries) and keeps reporting it, instead of warning
// and going on with a hole in the log. What did reach the file ends on the
// last entry logExecuted accepted, so a restart resumes right after it.
func TestExecutionLogFailureIsFinal(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		snapshot bool
	}{
		{"flush fails", 0, false},
		{"flush before a snapshot fails", 0, true},
		{"fails after some entries", 600, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			disk := &failAfter{n: tt.capacity}
			n := &Node{execLog: runlog.NewExecWriter(disk)}
			var err error
			for h := uint64(1); h <= 50 && err == nil; h++ {
				err = n.logExecuted([]runlog.ExecEntry{entry(h)}, tt.snapshot)
			}
			if !errors.Is(err, errDisk) {
				t.Fatalf("error %v, want the disk's", err)
			}
			if again := n.logExecuted([]runlog.ExecEntry{entry(99)}, false); again == nil {
				t.Fatal("the log accepted entries after a failure")
			}
			r := runlog.NewExecReader(bytes.NewReader(disk.buf.Bytes()))
			var last runlog.ExecEntry
			for {
				e, rerr := r.Next()
				if rerr != nil {
					break
				}
				if e.Height != last.Height+1 {
					t.Fatalf("entry of height %d after %d: a hole", e.Height, last.Height)
				}
				last = e
			}
			if last.Height > n.logged.Height {
				t.Fatalf("file holds height %d beyond the last accepted %d", last.Height, n.logged.Height)
			}
		})
	}
}

// TestLogExecutedSkipsLoggedHeights: replay after a restart does not log
// an entry twice.
func TestLogExecutedSkipsLoggedHeights(t *testing.T) {
	var buf bytes.Buffer
	n := &Node{execLog: runlog.NewExecWriter(&buf), logged: entry(3)}
	if err := n.logExecuted([]runlog.ExecEntry{entry(2), entry(3), entry(4)}, true); err != nil {
		t.Fatal(err)
	}
	r := runlog.NewExecReader(&buf)
	e, err := r.Next()
	if err != nil || e.Height != 4 {
		t.Fatalf("first entry %+v (%v), want height 4", e, err)
	}
	if _, err := r.Next(); err == nil {
		t.Fatal("more than one entry logged")
	}
}
