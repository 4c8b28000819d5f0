package charts

import (
	"fmt"
	"testing"

	"github.com/pompe-bft/pompe/internal/report"
)

// A curve of the Pompe-vs-HotStuff chart joins runs that differ only in
// their batch size, in batch order; runs of other loads get curves of
// their own.
func TestCurvesByLoad(t *testing.T) {
	run := func(clients, batch, inflight int) *report.Run {
		return &report.Run{Clients: clients, Batch: batch,
			Settings: fmt.Sprintf("pompe, 4 replicas, batch %d, payload 64 B, inflight %d, rate 0/s per client", batch, inflight)}
	}
	a1000, a1, a100 := run(4, 1000, 1), run(4, 1, 1), run(4, 100, 1)
	b1, c1 := run(64, 1, 1), run(4, 1, 4)
	for _, tc := range []struct {
		name string
		runs []*report.Run
		want [][]*report.Run
	}{
		{"one load, sorted by batch", []*report.Run{a1000, a1, a100}, [][]*report.Run{{a1, a100, a1000}}},
		{"other clients", []*report.Run{a1, b1, a100}, [][]*report.Run{{a1, a100}, {b1}}},
		{"other in flight", []*report.Run{a1, c1}, [][]*report.Run{{a1}, {c1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := curvesByLoad(tc.runs)
			if len(got) != len(tc.want) {
				t.Fatalf("%d curves, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if len(got[i]) != len(tc.want[i]) {
					t.Fatalf("curve %d has %d runs, want %d", i, len(got[i]), len(tc.want[i]))
				}
				for j := range got[i] {
					if got[i][j] != tc.want[i][j] {
						t.Fatalf("curve %d run %d is batch %d of %d clients, want batch %d of %d", i, j,
							got[i][j].Batch, got[i][j].Clients, tc.want[i][j].Batch, tc.want[i][j].Clients)
					}
				}
			}
		})
	}
	if got := loadLabel(c1); got != "4 clients x 4 in flight" {
		t.Errorf("loadLabel = %q", got)
	}
}
