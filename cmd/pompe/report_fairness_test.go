package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// writeCrossedRecords writes two clients whose commands, sent 5 ms apart
// in turn, execute in send order.
func writeCrossedRecords(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for c := range 2 {
		w, err := runlog.CreateClientRecords(filepath.Join(dir, runlog.ClientRecordsName(c)))
		if err != nil {
			t.Fatal(err)
		}
		for i := c; i < 20; i += 2 {
			rec := runlog.ClientRecord{Seq: uint64(i + 1), SentUs: 1_000_000 + int64(i)*5000, ExecutedUs: 2_000_000, Height: uint64(i + 1)}
			rec.Client[0] = byte(c)
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReportPrintsFairness(t *testing.T) {
	dir := t.TempDir()
	writeCrossedRecords(t, dir)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"table", []string{"report", dir, "--fairness-delta", "0,7ms"}, []string{"fairness:", "1.0000", "7"}},
		{"markdown", []string{"report", dir, "--markdown"}, []string{"| in order, Δ=10 ms |", "| 1.0000 |"}},
		{"json", []string{"report", dir, "--json"}, []string{`"fairness":{"commands":20`, `"delta_ms":100`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
	if code, _, stderr := runCLI(t, "report", dir, "--fairness-delta", "soon"); code != exitUsage {
		t.Errorf("bad Δ: exit %d, %s", code, stderr)
	}
}
