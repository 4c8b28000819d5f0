package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/cliexit"
	"github.com/pompe-bft/pompe/internal/report/charts"
	"github.com/pompe-bft/pompe/internal/soak"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// Real run records of both modes, those the checker's tests read.
var fixtureRuns = []string{"../../internal/checker/testdata/pompe", "../../internal/checker/testdata/hotstuff"}

func TestUsageErrorsExit2AndNameTheFlag(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "name a command"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"report without out", []string{"report", fixtureRuns[0]}, "--out is required"},
		{"report without directories", []string{"report", "--out", "x"}, "requires at least 1 arg"},
		{"report bad delta", []string{"report", fixtureRuns[0], "--out", "x", "--fairness-delta", "soon"}, `"--fairness-delta"`},
		{"report negative delta", []string{"report", fixtureRuns[0], "--out", "x", "--fairness-delta", "-1ms"}, "--fairness-delta -1ms"},
		{"report unknown flag", []string{"report", fixtureRuns[0], "--out", "x", "--plot", "y"}, "--plot"},
		{"soak without directory", []string{"soak"}, "accepts 1 arg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			first := strings.SplitN(stderr, "\n", 2)[0]
			if code != cliexit.ExitUsage || !strings.HasPrefix(first, "pompe-charts: ") || !strings.Contains(first, tc.want) {
				t.Errorf("exit %d, stderr %q: want exit %d and %q", code, stderr, cliexit.ExitUsage, tc.want)
			}
		})
	}
}

func TestReportDrawsPNGAndSVG(t *testing.T) {
	out := filepath.Join(t.TempDir(), "plots")
	code, stdout, stderr := runCLI(t, append(append([]string{"report"}, fixtureRuns...), "--out", out, "--fairness-delta", "0s,1ms")...)
	if code != cliexit.ExitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, name := range []string{charts.LatencyCDF, charts.Throughput, charts.LatencyOverTime, charts.PompeVsHotStuff, charts.Fairness, charts.FairnessOutOfOrder} {
		checkPNG(t, filepath.Join(out, name+".png"))
		checkSVG(t, filepath.Join(out, name+".svg"))
	}
	if !strings.Contains(stdout, "files in "+out) {
		t.Errorf("stdout %q", stdout)
	}
}

func TestReportOfAMissingDirectoryFails(t *testing.T) {
	code, _, stderr := runCLI(t, "report", t.TempDir(), "--out", t.TempDir())
	if code != cliexit.ExitFailure || !strings.Contains(stderr, "holds no client records") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestSoakDrawsFromSoakCSV(t *testing.T) {
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("t_s,replica,rss_mib,goroutines,disk_mib,exec_log_mib,cpu_cores,net_sent_bytes\n")
	for r := range 4 {
		for i := range 10 {
			fmt.Fprintf(&csv, "%d,%d,%d,%d,%g,%g,%g,%d\n", 2*i, r, 20+i, 40+r, 1+0.1*float64(i), 0.05*float64(i), 0.5, 1000*i)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, soak.CSVFileName), []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "soak", dir)
	if code != cliexit.ExitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, name := range []string{charts.ReplicaRSS, charts.ReplicaCPU, charts.ReplicaGoroutines, charts.ReplicaDisk} {
		checkPNG(t, filepath.Join(dir, soak.PlotsDirName, name+".png"))
		checkSVG(t, filepath.Join(dir, soak.PlotsDirName, name+".svg"))
	}
	if code, _, stderr := runCLI(t, "soak", t.TempDir()); code != cliexit.ExitFailure || !strings.Contains(stderr, soak.CSVFileName) {
		t.Errorf("soak without soak.csv: exit %d, stderr %q", code, stderr)
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
	if s := strings.TrimSpace(string(data)); !strings.Contains(s, "<svg") || !strings.HasSuffix(s, "</svg>") {
		t.Errorf("%s is not an SVG document (%d bytes)", path, len(data))
	}
}
