//go:build unix

package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// phaseNumbers are the fields `pompe local --json`, `pompe bench --json`
// and each run of `pompe report --json` share.
type phaseNumbers struct {
	Mode           string    `json:"mode"`
	DurationS      float64   `json:"duration_s"`
	Ordered        uint64    `json:"ordered"`
	Executed       uint64    `json:"executed"`
	OrderedPerS    float64   `json:"ordered_per_s"`
	ExecutedPerS   float64   `json:"executed_per_s"`
	OrderLatencyMs latencyMs `json:"order_latency_ms"`
	ExecLatencyMs  latencyMs `json:"exec_latency_ms"`
}

type latencyMs struct{ P50, P90, P99, Mean float64 }

// TestBenchAndReport builds the binary once, then checks that `pompe
// report` recomputes exactly what `pompe local` and `pompe bench` printed,
// draws the charts, and that bench can run twice with the same keys.
func TestBenchAndReport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "pompe")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// report --plot runs the pompe-charts next to pompe.
	if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "pompe-charts"), "../pompe-charts").CombinedOutput(); err != nil {
		t.Fatalf("go build pompe-charts: %v\n%s", err, out)
	}
	e := &e2e{bin: bin, dir: dir}
	var localDirs []string
	for _, mode := range []string{"hotstuff", "pompe"} {
		t.Run("local then report "+mode, func(t *testing.T) {
			out := filepath.Join(dir, "local-"+mode)
			code, stdout, stderr := e.exec(t, "local", "--mode", mode, "--clients", "2", "--duration", "3s", "--batch", "5",
				"--inflight", "2", "--json", "--out", out)
			if code != 0 {
				t.Fatalf("local: exit %d\n%s%s", code, stdout, stderr)
			}
			localDirs = append(localDirs, out)
			var local phaseNumbers
			if err := json.Unmarshal([]byte(lastLine(stdout)), &local); err != nil {
				t.Fatal(err)
			}
			got := reportRuns(t, e, out)
			if len(got) != 1 || got[0] != local {
				t.Errorf("report %+v\nlocal  %+v", got, local)
			}
			if local.Executed == 0 || (mode == "pompe") != (local.Ordered > 0) {
				t.Errorf("implausible local run %+v", local)
			}
		})
	}
	t.Run("report plot", func(t *testing.T) {
		if len(localDirs) != 2 {
			t.Skip("a local run failed")
		}
		plots := filepath.Join(dir, "plots")
		if code, stdout, stderr := e.exec(t, append(append([]string{"report"}, localDirs...), "--plot", plots)...); code != 0 {
			t.Fatalf("report --plot: exit %d\n%s%s", code, stdout, stderr)
		}
		for _, name := range []string{"latency_cdf", "throughput", "latency_over_time", "pompe_vs_hotstuff"} {
			for _, ext := range []string{".png", ".svg"} {
				if st, err := os.Stat(filepath.Join(plots, name+ext)); err != nil || st.Size() == 0 {
					t.Errorf("%s%s: %v", name, ext, err)
				}
			}
		}
	})
	t.Run("bench against a running cluster", e.bench)
}

func reportRuns(t *testing.T, e *e2e, dirs ...string) []phaseNumbers {
	t.Helper()
	code, stdout, stderr := e.exec(t, append(append([]string{"report"}, dirs...), "--json")...)
	if code != 0 {
		t.Fatalf("report: exit %d\n%s%s", code, stdout, stderr)
	}
	var rep struct {
		Runs []phaseNumbers `json:"runs"`
	}
	if err := json.Unmarshal([]byte(lastLine(stdout)), &rep); err != nil {
		t.Fatalf("report output %q: %v", stdout, err)
	}
	return rep.Runs
}

func (e *e2e) bench(t *testing.T) {
	tn := filepath.Join(e.dir, "bench-tn")
	if code, stdout, stderr := e.exec(t, "testnet", "--nodes", "4", "--clients", "2", "--mode", "pompe",
		"--distinct-ips", "--free-ports", "--out", tn); code != 0 {
		t.Fatalf("testnet: exit %d\n%s%s", code, stdout, stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	var nodes []*exec.Cmd
	for i := range 4 {
		cmd := e.command(ctx, "node", "--home", filepath.Join(tn, "node"+strconv.Itoa(i)))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, cmd)
	}
	defer func() {
		for _, n := range nodes {
			_ = n.Process.Signal(syscall.SIGTERM)
		}
		for i, n := range nodes {
			if err := n.Wait(); err != nil {
				t.Errorf("replica %d after SIGTERM: %v", i, err)
			}
		}
	}()
	// Twice with the same client keys: the default first sequence number
	// keeps the second run's commands from being skipped as duplicates.
	for run := range 2 {
		out := filepath.Join(e.dir, "bench"+strconv.Itoa(run))
		code, stdout, stderr := e.exec(t, "bench", "--testnet", tn, "--duration", "2s", "--batch", "4", "--inflight", "2",
			"--out", out, "--json")
		if code != 0 {
			t.Fatalf("bench %d: exit %d\n%s%s", run, code, stdout, stderr)
		}
		var res struct {
			phaseNumbers
			FirstSeq uint64 `json:"first_seq"`
		}
		if err := json.Unmarshal([]byte(lastLine(stdout)), &res); err != nil {
			t.Fatal(err)
		}
		if res.Executed == 0 || res.Ordered == 0 || res.FirstSeq < uint64(time.Now().Add(-time.Hour).UnixMicro()) {
			t.Errorf("bench %d: %+v", run, res)
		}
		for _, name := range []string{"client0.order.log", "client1.exec.log", "client1.records.jsonl", "load.json"} {
			if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
				t.Errorf("bench %d: %s: %v", run, name, err)
			}
		}
		if got := reportRuns(t, e, out); len(got) != 1 || got[0] != res.phaseNumbers {
			t.Errorf("report %+v\nbench  %+v", got, res.phaseNumbers)
		}
	}
	if code, _, stderr := e.exec(t, "bench", "--testnet", tn, "--clients", "3"); code != exitUsage {
		t.Errorf("3 clients of 2: exit %d, %s", code, stderr)
	}
}
