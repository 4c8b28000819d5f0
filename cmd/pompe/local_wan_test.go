//go:build unix

package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestLocalUnderWAN runs `pompe local --wan` with the shipped four-region
// matrix: 4 replicas in Pompe mode, and (without -short) the reference's
// 16 in the baseline, both with zero violations.
func TestLocalUnderWAN(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "pompe")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	e := &e2e{bin: bin, dir: dir}
	tests := []struct {
		nodes int
		mode  string
		long  bool
	}{
		{4, "pompe", false},
		{16, "hotstuff", true},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.nodes)+" "+tc.mode, func(t *testing.T) {
			if tc.long && testing.Short() {
				t.Skip("16 replica processes under a WAN matrix")
			}
			code, stdout, stderr := e.exec(t, "local", "--nodes", strconv.Itoa(tc.nodes), "--clients", "4", "--duration", "4s",
				"--mode", tc.mode, "--wan", "../../wan/four-regions.toml", "--json")
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			var rep struct {
				Executed              uint64 `json:"executed"`
				ConsistencyViolations *int64 `json:"consistency_violations"`
				OrderingViolations    *int64 `json:"ordering_violations"`
				ExecLatencyMs         struct {
					P50 float64 `json:"p50"`
				} `json:"exec_latency_ms"`
			}
			if err := json.Unmarshal([]byte(lastLine(stdout)), &rep); err != nil {
				t.Fatalf("last stdout line %q: %v", lastLine(stdout), err)
			}
			if rep.Executed == 0 || rep.ConsistencyViolations == nil || *rep.ConsistencyViolations != 0 || rep.OrderingViolations == nil || *rep.OrderingViolations != 0 {
				t.Fatalf("report %s: want executed commands and no violations", lastLine(stdout))
			}
			// The nearest quorum is across regions: no command can execute
			// faster than one inter-region round trip (about 68 ms).
			if rep.ExecLatencyMs.P50 < 68 {
				t.Fatalf("median execution latency %.1f ms is below one inter-region round trip: the matrix was not applied", rep.ExecLatencyMs.P50)
			}
		})
	}
	if left := processesMentioning(dir); len(left) > 0 {
		t.Errorf("processes left behind: %v", left)
	}
}
