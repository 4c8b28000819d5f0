package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/chartcmd"
)

func TestBenchAndReportUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bench without testnet", []string{"bench"}, "--testnet is required"},
		{"bench inflight and rate", []string{"bench", "--testnet", "x", "--inflight", "2", "--rate", "10"}, "inflight"},
		{"bench zero batch", []string{"bench", "--testnet", "x", "--batch", "0"}, "--batch 0"},
		{"bench negative offset", []string{"bench", "--testnet", "x", "--client-offset", "-1"}, "--client-offset"},
		{"report without directories", []string{"report"}, "requires at least 1 arg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			first := strings.SplitN(stderr, "\n", 2)[0]
			if code != exitUsage || !strings.Contains(first, tc.want) {
				t.Errorf("exit %d, stderr %q: want exit %d and %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
}

func TestReportOfAMissingDirectoryFails(t *testing.T) {
	code, _, stderr := runCLI(t, "report", t.TempDir())
	if code != exitFailure || !strings.Contains(stderr, "holds no client records") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// report --plot prints its report, then runs pompe-charts (here a script
// in PATH that records its arguments) with the same directories and
// fairness deltas; without one, it fails after the report and says how to
// get the charts.
func TestReportPlotRunsPompeCharts(t *testing.T) {
	runs := []string{"../../internal/checker/testdata/pompe", "../../internal/checker/testdata/hotstuff"}
	args := append(append([]string{"report"}, runs...), "--plot", "plots dir", "--fairness-delta", "0s,5ms")
	t.Run("found", func(t *testing.T) {
		bin := t.TempDir()
		t.Setenv("PATH", bin)
		script := "#!/bin/sh\nfor a in \"$@\"; do echo \"arg $a\"; done\n"
		if err := os.WriteFile(filepath.Join(bin, chartcmd.Name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		want := "arg report\narg " + runs[0] + "\narg " + runs[1] + "\narg --out\narg plots dir\narg --fairness-delta\narg 0s,5ms\n"
		if !strings.HasSuffix(stdout, want) || !strings.Contains(stdout, "execution") {
			t.Errorf("stdout %q: want the report, then pompe-charts run with\n%s", stdout, want)
		}
	})
	t.Run("missing", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		code, stdout, stderr := runCLI(t, args...)
		if code != exitFailure || !strings.Contains(stdout, "execution") {
			t.Fatalf("exit %d, stdout %q: want the report, then exit %d", code, stdout, exitFailure)
		}
		for _, want := range []string{"pompe-charts not found", "go build -o ", "/pompe-charts ./cmd/pompe-charts",
			"go run ./cmd/pompe-charts report " + runs[0] + " " + runs[1] + " --out 'plots dir' --fairness-delta 0s,5ms"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr %q lacks %q", stderr, want)
			}
		}
	})
}
