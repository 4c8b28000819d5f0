package checker

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/pompe-bft/pompe/internal/runlog"
)

const millionCommands = 1_000_000

// generatedLog is an ExecStream that makes n entries up on the fly, as a
// run of many clients would: client i%64, seq i/64.
type generatedLog struct {
	n, next int
}

func generatedEntry(i int) runlog.ExecEntry {
	e := entry(i, byte(i%64), uint64(i/64))
	e.Digest[2], e.Digest[3] = byte(i>>8), byte(i>>16)
	return e
}

func (g *generatedLog) Next() (runlog.ExecEntry, error) {
	if g.next == g.n {
		return runlog.ExecEntry{}, io.EOF
	}
	g.next++
	return generatedEntry(g.next - 1), nil
}

// These tests check that the algorithms scale (a quadratic one would not
// finish); they assert results, never durations.

func TestCheckConsistencyMillionEntries(t *testing.T) {
	rep, err := CheckConsistency([]ReplicaLog{
		{Replica: 0, Stream: &generatedLog{n: millionCommands}},
		{Replica: 1, Stream: &generatedLog{n: millionCommands}},
		{Replica: 2, Stream: &generatedLog{n: millionCommands - 1000}},
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Violations() != 0 || rep.Logs[0].Entries != millionCommands {
		t.Fatalf("report %+v", rep)
	}
}

func TestCheckOrderingMillionCommands(t *testing.T) {
	executed := make([]TimedCommand, millionCommands)
	for i := range executed {
		// Overlapping ranges in increasing order, and every 100000th
		// command executed far too late.
		lo := uint64(10 * (i + 1000))
		if i%100_000 == 99_999 {
			lo = uint64(i)
		}
		executed[i] = TimedCommand{Key: Key{Seq: uint64(i)}, Entry: int64(i), MinTsUs: lo, MaxTsUs: lo + 15}
	}
	rep := CheckOrdering(executed, 0)
	if rep.Violations != 10 || rep.Commands != millionCommands || len(rep.Examples) != DefaultMaxExamples {
		t.Fatalf("report: %d violations over %d commands, %d examples", rep.Violations, rep.Commands, len(rep.Examples))
	}
}

func TestCheckRunDirectoryManyCommands(t *testing.T) {
	n := 50_000
	if testing.Short() {
		n = 5_000
	}
	dir := t.TempDir()
	for _, replica := range []int{0, 1} {
		w, err := runlog.CreateExecLog(filepath.Join(dir, runlog.ExecLogName(replica)))
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			w.Write(generatedEntry(i))
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	w, err := runlog.CreateClientRecords(filepath.Join(dir, runlog.ClientRecordsName(0)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		base := uint64(100 * (i + 1)) // the entry's ts: the median of any 3 of these 4
		w.Write(recordOf(generatedEntry(i), base-5, base, base+3, base+12))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := Check(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Commands != int64(n) || res.TimedCommands != int64(n) {
		t.Fatalf("result %+v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, runlog.ExecLogName(0))); err != nil {
		t.Fatal(err)
	}
}
