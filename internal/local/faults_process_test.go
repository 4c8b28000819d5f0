package local

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
)

// buildPompe builds the pompe binary for tests that start real replica
// processes.
func buildPompe(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pompe")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/pompe-bft/pompe/cmd/pompe").CombinedOutput(); err != nil {
		t.Fatalf("build pompe: %v\n%s", err, out)
	}
	return bin
}

// TestFaultPresetsOnRealProcesses runs every preset against clusters of
// real `pompe node` processes under load: no consistency or ordering
// violation, no acknowledged command lost, every replica caught up, and
// every fault applied and undone.
func TestFaultPresetsOnRealProcesses(t *testing.T) {
	bin := buildPompe(t)
	cases := []struct {
		mode     config.Mode
		nodes    int
		preset   string
		duration time.Duration
	}{
		{config.ModePompe, 4, "crash", 10 * time.Second},
		{config.ModePompe, 4, "pause", 10 * time.Second},
		{config.ModePompe, 4, "partition", 10 * time.Second},
		{config.ModePompe, 4, "clock", 10 * time.Second},
		{config.ModePompe, 4, "disk-full", 10 * time.Second},
		{config.ModePompe, 4, "loss", 10 * time.Second},
		{config.ModeHotStuff, 4, "crash", 10 * time.Second},
		{config.ModeHotStuff, 4, "mixed", 20 * time.Second},
		{config.ModePompe, 7, "partition", 10 * time.Second},
	}
	for _, tc := range cases {
		t.Run(string(tc.mode)+"/"+tc.preset+"/"+strconv.Itoa(tc.nodes), func(t *testing.T) {
			if tc.nodes > 4 && testing.Short() {
				t.Skip("7 replicas: not under -short")
			}
			ctx, cancel := context.WithTimeout(context.Background(), tc.duration+90*time.Second)
			defer cancel()
			rep, err := Run(ctx, Options{
				Nodes: tc.nodes, Clients: 2, Mode: tc.mode, Duration: tc.duration, Inflight: 2,
				Faults: tc.preset, Executable: bin, StopGrace: 5 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			fr := rep.FaultReport
			if fr == nil {
				t.Fatal("no fault report")
			}
			t.Logf("executed %d (%.0f/s before the faults), recovery %.1f s (to half: %.1f s), faults %+v", rep.Executed, fr.PreFaultPerS, fr.RecoveryS, fr.RecoveryHalfS, fr.Faults)
			if rep.Executed == 0 || rep.ConsistencyViolations != 0 || rep.OrderingViolations != 0 {
				t.Errorf("executed %d, consistency violations %d, ordering violations %d: %+v",
					rep.Executed, rep.ConsistencyViolations, rep.OrderingViolations, rep.Check.Examples)
			}
			if fr.LostAcknowledged != 0 || len(fr.Lagging) != 0 {
				t.Errorf("lost acknowledged %d %v, lagging replicas %v", fr.LostAcknowledged, fr.Examples, fr.Lagging)
			}
			// Recovery time is a measurement (recovery_s and recovery_half_s,
			// logged above; bench/targets.sh reports them), not a pass/fail
			// bound: on a busy 2-core machine any fixed bound is noise. What
			// must hold is that the cluster recovered: every replica caught
			// up with every command acknowledged before the last fault ended
			// (Lagging, checked above), with nothing lost.
			for _, a := range fr.Faults {
				if a.Error != "" {
					t.Errorf("fault %s on %v: %s", a.Kind, a.Replicas, a.Error)
				}
			}
			if len(rep.ReplicaErrors) != 0 || !rep.OK() {
				t.Errorf("replica errors %v", rep.ReplicaErrors)
			}
		})
	}
}
