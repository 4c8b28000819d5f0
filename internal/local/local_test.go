package local

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/loadgen"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestReportJSONHasTheDocumentedShape(t *testing.T) {
	r := &Report{Mode: config.ModeHotStuff, Nodes: 4, Clients: 2, Batch: 10, PayloadBytes: 64, Inflight: 1}
	r.addLoad(loadgen.Summary{
		Window: 4 * time.Second, Executed: 1000, ExecutedPerSec: 250,
		ExecLatency: loadgen.Latency{Count: 1000, P50: 1500 * time.Microsecond, P90: 2 * time.Millisecond, P99: 3 * time.Millisecond, Mean: 1600 * time.Microsecond},
	})
	data, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("\n")) {
		t.Fatalf("JSON spans lines: %s", data)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"mode", "nodes", "clients", "duration_s", "batch", "payload", "ordered", "executed",
		"ordered_per_s", "executed_per_s", "order_latency_ms", "exec_latency_ms", "retries",
		"consistency_violations", "ordering_violations"} {
		if _, ok := got[key]; !ok {
			t.Errorf("key %q missing from %s", key, data)
		}
	}
	for _, key := range []string{"order_latency_ms", "exec_latency_ms"} {
		lat, _ := got[key].(map[string]any)
		for _, q := range []string{"p50", "p90", "p99", "mean"} {
			if _, ok := lat[q].(float64); !ok {
				t.Errorf("%s.%s missing or not a number in %s", key, q, data)
			}
		}
	}
	if got["exec_latency_ms"].(map[string]any)["p50"] != 1.5 || got["duration_s"] != 4.0 || got["mode"] != "hotstuff" {
		t.Errorf("wrong values in %s", data)
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "execution") || strings.Contains(table.String(), "ordering  ") {
		t.Errorf("table:\n%s", table.String())
	}
}

func TestProgressLine(t *testing.T) {
	prev := loadgen.Progress{Elapsed: time.Second, Ordered: 100, Executed: 50}
	p := loadgen.Progress{Elapsed: 2 * time.Second, Ordered: 300, Executed: 150, Retries: 7}
	got := progressLine(p, prev, 30*time.Second, true)
	for _, want := range []string{"2.0s/30s", "ordered      200/s", "executed      100/s", "retries 7"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress line %q lacks %q", got, want)
		}
	}
	if got := progressLine(p, prev, 30*time.Second, false); strings.Contains(got, "ordered") {
		t.Errorf("hotstuff progress line %q shows an ordering rate", got)
	}
}

func TestLogTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	var b strings.Builder
	for i := range 100 {
		b.WriteString("line " + strconv.Itoa(i) + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lines, maxBytes int
		want            string
	}{
		{2, 4096, "line 98\nline 99"},
		{5, 12, "line 99"}, // the cut line before it is dropped
	}
	for _, tc := range tests {
		if got := logTail(path, tc.lines, tc.maxBytes); got != tc.want {
			t.Errorf("logTail(%d, %d) = %q, want %q", tc.lines, tc.maxBytes, got, tc.want)
		}
	}
	if got := logTail(filepath.Join(t.TempDir(), "missing"), 3, 100); got != "" {
		t.Errorf("tail of a missing file: %q", got)
	}
}

func TestOptionsDefaultsAndBounds(t *testing.T) {
	o, err := Options{Executable: "/bin/true"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.Nodes != 4 || o.Clients != 4 || o.Duration != 30*time.Second || o.Mode != config.ModePompe {
		t.Errorf("defaults %+v", o)
	}
	for _, bad := range []Options{{Nodes: 300}, {Clients: -1}, {Mode: "raft"}, {Duration: -time.Second}} {
		bad.Executable = "/bin/true"
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestMkdirEmptyRefusesUsedDirectories(t *testing.T) {
	dir := t.TempDir()
	if err := mkdirEmpty(filepath.Join(dir, "new")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "new", "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := mkdirEmpty(filepath.Join(dir, "new")); err == nil || !slices.Contains(strings.Fields(err.Error()), "empty;") {
		t.Errorf("used directory accepted: %v", err)
	}
}

// Colocated replicas get their share of the CPUs as GOMAXPROCS, unless
// --replica-procs or the environment says otherwise.
func TestReplicaEnvSharesTheCPUs(t *testing.T) {
	last := func(env []string) string {
		got := ""
		for _, kv := range env {
			if strings.HasPrefix(kv, "GOMAXPROCS=") {
				got = kv // the last one wins
			}
		}
		return got
	}
	t.Setenv("GOMAXPROCS", "")
	os.Unsetenv("GOMAXPROCS")
	share := fmt.Sprintf("GOMAXPROCS=%d", max(1, runtime.NumCPU()/4))
	for _, tc := range []struct {
		name string
		opts Options
		env  string // GOMAXPROCS in this process's environment
		want string
	}{
		{"share", Options{Nodes: 4}, "", share},
		{"more replicas than CPUs", Options{Nodes: 4 * runtime.NumCPU()}, "", "GOMAXPROCS=1"},
		{"flag", Options{Nodes: 4, ReplicaProcs: 3}, "", "GOMAXPROCS=3"},
		{"environment", Options{Nodes: 4}, "7", "GOMAXPROCS=7"},
		{"flag over environment", Options{Nodes: 4, ReplicaProcs: 2}, "7", "GOMAXPROCS=2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("GOMAXPROCS", tc.env)
			}
			if got := last(tc.opts.replicaEnv()); got != tc.want {
				t.Errorf("replica GOMAXPROCS %q, want %q", got, tc.want)
			}
		})
	}
}
