package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/runlog"
)

// placed is one command of a client: sent offset from t0 (µs) and the
// block height it executed at (0: never executed).
type placed struct{ sent, height int64 }

func writePlacedRecords(t *testing.T, dir string, client byte, cmds []placed) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := runlog.CreateClientRecords(filepath.Join(dir, runlog.ClientRecordsName(int(client))))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cmds {
		rec := runlog.ClientRecord{Seq: uint64(i + 1), SentUs: t0 + c.sent}
		rec.Client[0] = client
		if c.height > 0 {
			rec.ExecutedUs, rec.Height = t0+c.sent+50_000, uint64(c.height)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// reversedRun has two clients alternating sends 1 ms apart; the first
// command of each pair of consecutive sends executes last.
func reversedRun(t *testing.T) string {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	writePlacedRecords(t, run, 0, []placed{{0, 4}, {2_000, 2}, {50_000, 0}})
	writePlacedRecords(t, run, 1, []placed{{1_000, 3}, {3_000, 1}})
	writeRunInfo(t, run, runInfo(config.ModeHotStuff, 1, 100_000))
	return dir
}

func TestFairnessOfRun(t *testing.T) {
	dir := reversedRun(t)
	targetClient1 := func(id runlog.ClientID) bool { return id[0] == 1 }
	rep, err := Load([]string{dir}, Options{Fairness: FairnessOptions{
		Deltas: []time.Duration{0, 1500 * time.Microsecond, time.Second}, Target: targetClient1,
	}})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.Runs[0].Fairness
	if f == nil || f.Skipped != "" || f.Commands != 4 || len(f.Points) != 3 {
		t.Fatalf("fairness %+v", f)
	}
	// Different-client pairs (sent µs → height): 0→4 vs 1000→3, 0→4 vs
	// 3000→1, 1000→3 vs 2000→2: all out of order; only 2000→2 vs 3000→1
	// remains, out of order too.
	tests := []struct {
		delta          time.Duration
		pairs, inOrder uint64
	}{
		{0, 4, 0},
		{1500 * time.Microsecond, 1, 0}, // only 0 vs 3000 is over 1.5 ms apart
		{time.Second, 0, 0},
	}
	for i, tt := range tests {
		p := f.Points[i]
		if p.Delta != tt.delta || p.All.Pairs != tt.pairs || p.All.InOrder != tt.inOrder {
			t.Errorf("Δ=%v: %+v, want %d of %d", tt.delta, p.All, tt.inOrder, tt.pairs)
		}
	}
	if s := f.Points[0].Targets; s.EarlierTargeted.Pairs != 1 || s.LaterTargeted.Pairs != 3 {
		t.Errorf("split %+v", s)
	}
	if _, ok := f.At(time.Second); !ok {
		t.Error("At misses a measured Δ")
	}
	if _, ok := f.At(time.Minute); ok {
		t.Error("At finds an unmeasured Δ")
	}
}

func TestFairnessOutputs(t *testing.T) {
	rep, err := Load([]string{reversedRun(t), reversedRun(t)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var table, md bytes.Buffer
	if err := rep.WriteFairness(&table); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteFairnessMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fairness:", "in order", "0.0000", "earlier targeted", "out of order"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	lines := strings.Split(strings.TrimSpace(md.String()), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "Δ=10 ms") || !strings.HasPrefix(lines[2], "| hotstuff batch 1 "+filepath.Base(rep.Runs[0].Dir)+" | hotstuff | 4 | 0.0000 | 4 |") {
		t.Errorf("markdown:\n%s", md.String())
	}
	line, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Runs []struct {
			Fairness struct {
				Commands int `json:"commands"`
				Points   []struct {
					DeltaMs  float64  `json:"delta_ms"`
					Fraction *float64 `json:"fraction"`
					All      struct {
						Pairs uint64 `json:"pairs"`
					} `json:"all"`
				} `json:"points"`
			} `json:"fairness"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(line, &back); err != nil {
		t.Fatal(err)
	}
	p := back.Runs[0].Fairness.Points
	if back.Runs[0].Fairness.Commands != 4 || len(p) != 4 || p[2].DeltaMs != 10 || p[0].All.Pairs != 4 ||
		p[0].Fraction == nil || *p[0].Fraction != 0 || p[3].Fraction != nil {
		t.Errorf("JSON fairness %+v", back.Runs[0].Fairness)
	}
}

func TestFairnessSkipsLatencyLogs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "client0.exec.log"), "2026-01-02 03:04:05.000000 0.010\n")
	rep, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.Runs[0].Fairness
	if f == nil || f.Skipped == "" || len(f.Points) != 0 {
		t.Fatalf("fairness %+v", f)
	}
	var table bytes.Buffer
	if err := rep.WriteFairness(&table); err != nil || !strings.Contains(table.String(), "no fairness measure") {
		t.Fatalf("table %q, %v", table.String(), err)
	}
}

func TestLoadFairness(t *testing.T) {
	f, err := LoadFairness(reversedRun(t), FairnessOptions{Deltas: []time.Duration{0}})
	if err != nil || f.Commands != 4 || len(f.Points) != 1 || f.Points[0].All.Pairs != 4 {
		t.Fatalf("%+v, %v", f, err)
	}
	if _, err := LoadFairness(t.TempDir(), FairnessOptions{}); err == nil {
		t.Fatal("a directory without records measured")
	}
}
