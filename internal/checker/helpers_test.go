package checker

import (
	"errors"
	"io"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// sliceStream is an ExecStream over entries, ending with end (io.EOF if
// nil).
type sliceStream struct {
	entries []runlog.ExecEntry
	end     error
}

func (s *sliceStream) Next() (runlog.ExecEntry, error) {
	if len(s.entries) == 0 {
		if s.end == nil {
			return runlog.ExecEntry{}, io.EOF
		}
		return runlog.ExecEntry{}, s.end
	}
	e := s.entries[0]
	s.entries = s.entries[1:]
	return e, nil
}

func clientID(c byte) runlog.ClientID {
	var id runlog.ClientID
	id[0] = c
	return id
}

// entry builds the execution of command (client c, seq) at entry number i
// of a log in which every block holds two one-command batches, with
// timestamp 100*(i+1) (see orderedRecords).
func entry(i int, c byte, seq uint64) runlog.ExecEntry {
	e := runlog.ExecEntry{Height: uint64(i/2 + 1), Position: uint32(i % 2), Client: clientID(c), Seq: seq, TsUs: uint64(100 * (i + 1))}
	e.Digest[0], e.Digest[1] = c, byte(seq)
	return e
}

// cleanLog returns n entries executing (client 1, seq 0..n-1).
func cleanLog(n int) []runlog.ExecEntry {
	out := make([]runlog.ExecEntry, n)
	for i := range out {
		out[i] = entry(i, 1, uint64(i))
	}
	return out
}

var errDisk = errors.New("disk on fire")
