package faults

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/runlog"
)

type testCmd struct {
	client   byte
	seq      uint64
	height   uint64
	position uint32
	batch    byte
	execUs   int64
}

func writeRun(t *testing.T, acked []testCmd, logs [][]testCmd) string {
	t.Helper()
	dir := t.TempDir()
	w, err := runlog.CreateClientRecords(filepath.Join(dir, runlog.ClientRecordsName(0)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range acked {
		rec := runlog.ClientRecord{Seq: c.seq, SentUs: c.execUs - 10, ExecutedUs: c.execUs, Height: c.height, Position: c.position}
		rec.Client[0], rec.Digest[0] = c.client, c.batch
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	// A command that never executed is no acknowledgement.
	if err := w.Write(runlog.ClientRecord{Seq: 999, SentUs: 5}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for r, entries := range logs {
		lw, err := runlog.CreateExecLog(filepath.Join(dir, runlog.ExecLogName(r)))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range entries {
			e := runlog.ExecEntry{Height: c.height, Position: c.position, Seq: c.seq}
			e.Client[0], e.Digest[0] = c.client, c.batch
			if err := lw.Write(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := lw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestJudgeLostAndLagging(t *testing.T) {
	start := time.UnixMicro(1_000_000_000)
	us := func(s float64) int64 { return start.UnixMicro() + int64(s*1e6) }
	a := testCmd{client: 1, seq: 1, height: 1, position: 0, batch: 0xa, execUs: us(0.5)}
	b := testCmd{client: 1, seq: 2, height: 2, position: 0, batch: 0xb, execUs: us(1.5)}
	c := testCmd{client: 2, seq: 1, height: 3, position: 0, batch: 0xc, execUs: us(5)}
	// c was first told "duplicate" by a later batch at height 4.
	cDup := testCmd{client: 2, seq: 1, height: 4, position: 0, batch: 0xd, execUs: us(5)}
	d := testCmd{client: 2, seq: 2, height: 4, position: 0, batch: 0xd, execUs: us(5)}
	full := []testCmd{a, b, c, d}
	applied := []Applied{{Kind: Crash, Replicas: []int{2}, StartS: 1, EndS: 2}}
	cases := []struct {
		name    string
		acked   []testCmd
		logs    [][]testCmd
		lost    int64
		lagging []int
	}{
		{"all present", []testCmd{a, b, c, d}, [][]testCmd{full, full, full, full}, 0, nil},
		{"replica behind at the end", []testCmd{a, b, c, d}, [][]testCmd{full, full, full, {a, b}}, 0, nil},
		{"restarted replica missed old commands", []testCmd{a, b, c, d}, [][]testCmd{full, full, {c, d}, full}, 2, []int{2}},
		{"dropped from every log", []testCmd{a, b, c, d}, [][]testCmd{{a, c, d}, {a, c, d}, {a, c, d}, {a, c, d}}, 1, []int{0, 1, 2, 3}},
		{"moved to another place", []testCmd{a, b}, [][]testCmd{{a, {client: 1, seq: 2, height: 3, batch: 0xb}}, full, full, full}, 1, nil},
		{"duplicate report is not a loss", []testCmd{a, b, cDup, d}, [][]testCmd{full, full, full, full}, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeRun(t, tc.acked, tc.logs)
			j, err := Judge(dir, 4, start, 10*time.Second, applied)
			if err != nil {
				t.Fatal(err)
			}
			if j.LostAcknowledged != tc.lost || len(j.Lagging) != len(tc.lagging) {
				t.Fatalf("lost %d lagging %v, want %d %v (%v)", j.LostAcknowledged, j.Lagging, tc.lost, tc.lagging, j.Examples)
			}
		})
	}
}

func TestRecovery(t *testing.T) {
	const s = int64(1_000_000)
	start := int64(100 * s)
	// 100/s for 4 s, nothing during a fault from 4 s to 6 s, then 50/s
	// until 7 s and 100/s after.
	var execs []int64
	add := func(from, to float64, perS int) {
		for i := range int((to - from) * float64(perS)) {
			execs = append(execs, start+int64(from*float64(s))+int64(i)*s/int64(perS))
		}
	}
	add(0, 4, 100)
	add(6, 7, 50)
	add(7, 12, 100)
	pre, rec := recovery(execs, start, start+12*s, start+4*s, start+6*s, RecoveryFraction)
	if pre < 99 || pre > 101 {
		t.Fatalf("pre-fault rate %v, want 100", pre)
	}
	// The first 1 s window at 80/s starts 0.7 s into the 50/s second.
	if rec < 0.5 || rec > 0.8 {
		t.Fatalf("recovery %v s, want about 0.6-0.7", rec)
	}
	// Half the rate: the 50/s second itself is enough from its start.
	if _, half := recovery(execs, start, start+12*s, start+4*s, start+6*s, 0.5); half != 0 {
		t.Fatalf("recovery to half %v s, want 0", half)
	}
	if _, rec := recovery(execs[:400], start, start+12*s, start+4*s, start+6*s, RecoveryFraction); rec != -1 {
		t.Fatalf("no executions after the fault, recovery %v, want -1", rec)
	}
}

func TestJudgeMissingLog(t *testing.T) {
	dir := writeRun(t, nil, nil)
	if err := os.Remove(filepath.Join(dir, runlog.ClientRecordsName(0))); err != nil {
		t.Fatal(err)
	}
	if _, err := Judge(dir, 1, time.Now(), time.Second, nil); err == nil {
		t.Fatal("a run without execution logs judged")
	}
}
