package local

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestResourcesOfRealReplicas runs real replicas under load and idle, and
// checks that every replica was sampled and the figures were filled in.
func TestResourcesOfRealReplicas(t *testing.T) {
	bin := buildPompe(t)
	for _, tc := range []struct {
		name   string
		noLoad bool
	}{{"load", false}, {"idle", true}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			out := filepath.Join(t.TempDir(), "run")
			rep, err := Run(ctx, Options{Nodes: 4, Clients: 2, NoLoad: tc.noLoad, Duration: 3 * time.Second,
				Executable: bin, OutDir: out, StopGrace: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			rr := rep.ResourceReport
			t.Logf("executed %d: %+v", rep.Executed, struct {
				Cores, UsPerCmd, RSSMax, NetPerCmd float64
			}{rr.ReplicaCPUCores, rr.ReplicaCPUUsPerCmd, rr.ReplicaRSSMaxMiB, rr.NetBytesPerCmd})
			if len(rr.Resources) != 4 {
				t.Fatalf("%d replica series", len(rr.Resources))
			}
			for _, r := range rr.Resources {
				if len(r.Samples) < 3 {
					t.Errorf("replica %d: %d samples", r.Replica, len(r.Samples))
					continue
				}
				last := r.Samples[len(r.Samples)-1]
				if last.Goroutines == 0 || last.DiskMiB == 0 || (procStatsSupported && last.RSSMiB == 0) {
					t.Errorf("replica %d: last sample %+v", r.Replica, last)
				}
				if !tc.noLoad && last.NetSentBytes == 0 {
					t.Errorf("replica %d sent nothing under load: %+v", r.Replica, last)
				}
			}
			if procStatsSupported && (rr.ReplicaCPUCores <= 0 || rr.ReplicaRSSMaxMiB <= 0) {
				t.Errorf("figures %+v", rr)
			}
			if tc.noLoad != (rep.Executed == 0) || tc.noLoad != (rr.NetBytesPerCmd == 0) {
				t.Errorf("executed %d, %g B/cmd", rep.Executed, rr.NetBytesPerCmd)
			}
			if !tc.noLoad && (rr.NetPeerBytesPerCmd <= 0 || rr.NetPeerBytesPerCmd >= rr.NetBytesPerCmd ||
				(procStatsSupported && rr.ReplicaCPUUsPerCmd <= 0)) {
				t.Errorf("per-command figures %+v", rr)
			}
			data, err := os.ReadFile(filepath.Join(out, runDirName, ResourcesFileName))
			if err != nil {
				t.Fatal(err)
			}
			var onDisk ResourceReport
			if err := json.Unmarshal(data, &onDisk); err != nil || len(onDisk.Resources) != 4 {
				t.Errorf("%s: %v, %d series", ResourcesFileName, err, len(onDisk.Resources))
			}
		})
	}
}
