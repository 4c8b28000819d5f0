package charts

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/loadgen"
	"github.com/pompe-bft/pompe/internal/report"
	"github.com/pompe-bft/pompe/internal/runlog"
)

// syntheticRun writes a 5 s run of one client whose latencies grow with
// the batch, in a directory of its own.
func syntheticRun(t *testing.T, mode config.Mode, batch int) string {
	t.Helper()
	dir := t.TempDir()
	const t0, windowUs = int64(1_800_000_000_000_000), int64(5_000_000)
	w, err := runlog.CreateClientRecords(filepath.Join(dir, runlog.ClientRecordsName(0)))
	if err != nil {
		t.Fatal(err)
	}
	n := 50 * batch
	for i := range n {
		sent := t0 + int64(i)*windowUs/int64(n)
		rec := runlog.ClientRecord{Seq: uint64(i + 1), SentUs: sent, ExecutedUs: sent + int64(20_000*batch/10+i%3000)}
		if mode == config.ModePompe {
			rec.SequencedUs = sent + int64(2_000+i%500)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(loadgen.RunInfo{Mode: mode, Clients: 1, BatchCommands: batch,
		WindowStartUs: t0, WindowEndUs: t0 + windowUs, WindowNs: windowUs * 1000})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, loadgen.RunInfoName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestWriteDrawsValidPNGAndSVG(t *testing.T) {
	var dirs []string
	for _, mode := range []config.Mode{config.ModePompe, config.ModeHotStuff} {
		for _, batch := range []int{1, 10, 100} {
			dirs = append(dirs, syntheticRun(t, mode, batch))
		}
	}
	tests := []struct {
		name string
		dirs []string
		want []string
	}{
		{"both modes", dirs, []string{LatencyCDF, Throughput, LatencyOverTime, PompeVsHotStuff}},
		{"one mode", dirs[:1], []string{LatencyCDF, Throughput, LatencyOverTime}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := report.Load(tc.dirs, report.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "plots")
			files, err := Write(rep, out)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 2*len(tc.want) {
				t.Errorf("files %v, want %d charts", files, len(tc.want))
			}
			for _, name := range tc.want {
				checkPNG(t, filepath.Join(out, name+".png"))
				checkSVG(t, filepath.Join(out, name+".svg"))
			}
			if len(tc.want) == 3 {
				if _, err := os.Stat(filepath.Join(out, PompeVsHotStuff+".png")); !os.IsNotExist(err) {
					t.Errorf("comparison drawn for one mode: %v", err)
				}
			}
		})
	}
}

// A run in which nothing executed still gets its (empty) charts.
func TestWriteWithoutSamples(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "client0.exec.log"), []byte("\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := report.Load([]string{dir}, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(rep, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(&report.Report{}, t.TempDir()); err == nil {
		t.Error("empty report drawn")
	}
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 200 {
		t.Errorf("%s: %v is too small to read", path, b)
	}
}

func checkSVG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if !strings.Contains(s, "<svg") || !strings.HasSuffix(strings.TrimSpace(s), "</svg>") {
		t.Errorf("%s is not an SVG document (%d bytes)", path, len(data))
	}
}
