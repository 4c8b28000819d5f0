//go:build linux

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/byzantine"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/local"
)

// TestByzantineProcesses runs clusters in which f replicas are real
// `pompe node --byzantine KIND` processes, under load, and checks the
// correct replicas: no consistency or ordering violation, no command a
// client saw executed missing from a correct replica's log, and progress.
// (docs/protocol.md section 1: safety never depends on the f Byzantine
// replicas; a Byzantine leader can only delay.)
func TestByzantineProcesses(t *testing.T) {
	requireBinary(t)
	cases := []struct {
		mode  config.Mode
		nodes int
		kind  byzantine.Kind
		count int // 0: f
	}{
		{config.ModePompe, 4, byzantine.Equivocate, 0},
		{config.ModePompe, 4, byzantine.ReverseTS, 0},
		{config.ModePompe, 4, byzantine.Omit, 0},
		{config.ModePompe, 4, byzantine.Future, 0},
		{config.ModePompe, 4, byzantine.Garbage, 0},
		{config.ModePompe, 4, byzantine.CollectF1, 0},
		{config.ModeHotStuff, 4, byzantine.Equivocate, 0},
		{config.ModeHotStuff, 4, byzantine.ReverseOrder, 0},
		{config.ModePompe, 7, byzantine.CollectF1, 2},
		// Attacks that once stopped Pompe mode for good (issue: a single
		// Byzantine replica must never stop the cluster).
		{config.ModePompe, 4, byzantine.FarCollect, 0},
		{config.ModePompe, 4, byzantine.PoisonReply, 0},
		{config.ModePompe, 4, byzantine.ProofFlood, 0},
		{config.ModePompe, 7, byzantine.FarCollect, 2},
		{config.ModePompe, 4, byzantine.FetchAmplify, 0},
		{config.ModeHotStuff, 4, byzantine.FetchAmplify, 0},
	}
	for _, tc := range cases {
		name := string(tc.mode) + "/" + string(tc.kind)
		if tc.nodes != 4 {
			name += "/7"
		}
		t.Run(name, func(t *testing.T) {
			spec := string(tc.kind)
			if tc.count > 0 {
				spec += ":" + string(rune('0'+tc.count))
			}
			const load = 4 * time.Second
			ctx, cancel := context.WithTimeout(context.Background(), load+90*time.Second)
			defer cancel()
			out := filepath.Join(workRoot, "byzantine-"+string(tc.mode)+"-"+string(tc.kind)+"-"+string(rune('0'+tc.nodes)))
			rep, err := local.Run(ctx, local.Options{
				Nodes: tc.nodes, Clients: 2, Mode: tc.mode, Duration: load, Inflight: 2,
				Byzantine: spec, Executable: pompeBin, StopGrace: 5 * time.Second, OutDir: out,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if !t.Failed() && os.Getenv(keepEnv) == "" {
					os.RemoveAll(out)
				}
			}()
			b := rep.Byzantine
			if b == nil || b.Kind != tc.kind || len(b.Replicas) != (tc.nodes-1)/3 {
				t.Fatalf("byzantine report %+v", b)
			}
			t.Logf("executed %d (%.0f/s), exec p50 %.1f ms, retries %d, checked %d commands in %d correct logs",
				rep.Executed, rep.ExecutedPerS, rep.ExecLatencyMs.P50, rep.Retries, rep.CheckedCommands, rep.Check.Replicas)
			if rep.Executed == 0 {
				t.Error("no progress: nothing executed")
			}
			if executed, late := lateProgress(t, filepath.Join(out, "run"), load); late == 0 {
				t.Errorf("progress stopped: %d commands executed, none in the last third of the load", executed)
			}
			if rep.ConsistencyViolations != 0 || rep.OrderingViolations != 0 {
				t.Errorf("consistency violations %d, ordering violations %d: %+v", rep.ConsistencyViolations, rep.OrderingViolations, rep.Check.Examples)
			}
			if b.LostAcknowledged != 0 {
				t.Errorf("lost acknowledged %d: %v", b.LostAcknowledged, b.Examples)
			}
			if rep.Check.Replicas != tc.nodes-len(b.Replicas) {
				t.Errorf("checked %d replica logs, want every correct one (%d)", rep.Check.Replicas, tc.nodes-len(b.Replicas))
			}
			if len(rep.ReplicaErrors) != 0 || !rep.OK() {
				t.Errorf("replica errors %v; logs in %s", rep.ReplicaErrors, out)
			}
		})
	}
}
