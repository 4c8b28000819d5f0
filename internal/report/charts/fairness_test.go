package charts

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pompe-bft/pompe/internal/report"
	"github.com/pompe-bft/pompe/internal/runlog"
)

// fairRun writes a run of four clients taking turns every 3 ms; with
// reversed set, each pair of consecutive sends executes the wrong way
// round.
func fairRun(t *testing.T, reversed bool) string {
	t.Helper()
	dir := t.TempDir()
	const t0 = int64(1_800_000_000_000_000)
	var writers [4]*runlog.ClientRecordWriter
	for c := range writers {
		w, err := runlog.CreateClientRecords(filepath.Join(dir, runlog.ClientRecordsName(c)))
		if err != nil {
			t.Fatal(err)
		}
		writers[c] = w
	}
	for i := range 400 {
		height := uint64(i + 1)
		if reversed {
			height = uint64(i ^ 1 + 1)
		}
		rec := runlog.ClientRecord{Seq: uint64(i + 1), SentUs: t0 + int64(i)*3000, ExecutedUs: t0 + int64(i)*3000 + 20_000, Height: height}
		rec.Client[0] = byte(i % 4)
		if err := writers[i%4].Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range writers {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestWriteDrawsFairness(t *testing.T) {
	rep, err := report.Load([]string{fairRun(t, false), fairRun(t, true)}, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasFairness(rep) {
		t.Fatal("no fairness measured")
	}
	out := t.TempDir()
	if _, err := Write(rep, out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{Fairness, FairnessOutOfOrder} {
		checkPNG(t, filepath.Join(out, name+".png"))
		checkSVG(t, filepath.Join(out, name+".svg"))
	}
}

// A run with every pair in order has no point on the log chart, which is
// still drawn.
func TestWriteFairnessAllInOrder(t *testing.T) {
	rep, err := report.Load([]string{fairRun(t, false)}, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := Write(rep, out); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, filepath.Join(out, FairnessOutOfOrder+".png"))
}

// Runs without pairs to compare (one client) get no fairness chart.
func TestWriteSkipsFairnessWithoutPairs(t *testing.T) {
	rep, err := report.Load([]string{syntheticRun(t, "pompe", 1)}, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := Write(rep, out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, Fairness+".png")); !os.IsNotExist(err) {
		t.Fatalf("fairness chart drawn without pairs: %v", err)
	}
}
