package app

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestResultBudgetRules(t *testing.T) {
	lim := ResultLimits{MaxResultBytes: 1000, MaxBatchBytes: 1500, MaxTotalBytes: 2500}
	type admit struct {
		batch, size int
		want        string // "" passes; otherwise a substring of the reason
	}
	tests := []struct {
		name  string
		steps []admit
	}{
		{"small results always pass", []admit{{0, 1000, ""}, {0, 500, ""}, {0, MaxErrorResultBytes, ""}, {0, MaxErrorResultBytes, ""}, {0, 1, ""}}},
		{"one result too large", []admit{{0, 1001, "exceeds limit 1000"}, {0, 1000, ""}}},
		{"batch budget", []admit{{0, 1000, ""}, {0, 501, ReasonBatchBudget}, {0, 500, ""}, {1, 1000, ""}}},
		{"block budget", []admit{{0, 1000, ""}, {1, 1000, ""}, {2, 501, ReasonBlockBudget}, {2, 500, ""}, {3, 300, ReasonBlockBudget}}},
		{"refused results count toward nothing", []admit{{0, 1001, "exceeds"}, {0, 1001, "exceeds"}, {0, 1000, ""}, {0, 500, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewResultBudget(lim)
			for i, st := range tt.steps {
				got := b.Admit(st.batch, st.size)
				if (got == "") != (st.want == "") || !strings.Contains(got, st.want) {
					t.Fatalf("step %d: Admit(%d, %d) = %q, want %q", i, st.batch, st.size, got, st.want)
				}
			}
		})
	}
}

// TestResultBudgetBounds: whatever the sizes, what passes keeps the stated
// bounds.
func TestResultBudgetBounds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lim := ResultLimits{
			MaxResultBytes: rapid.IntRange(1, 5000).Draw(t, "maxResult"),
			MaxBatchBytes:  rapid.IntRange(1, 8000).Draw(t, "maxBatch"),
			MaxTotalBytes:  rapid.IntRange(1, 20000).Draw(t, "maxTotal"),
		}
		b := NewResultBudget(lim)
		batches := rapid.IntRange(1, 5).Draw(t, "batches")
		block := 0
		for batch := range batches {
			used := 0
			for range rapid.IntRange(0, 20).Draw(t, "cmds") {
				size := rapid.IntRange(0, 6000).Draw(t, "size")
				if b.Admit(batch, size) != "" {
					continue
				}
				if size > MaxErrorResultBytes {
					used += size
					block += size
					if size > lim.MaxResultBytes {
						t.Fatalf("result of %d passed, limit %d", size, lim.MaxResultBytes)
					}
				}
			}
			if used > lim.MaxBatchBytes {
				t.Fatalf("batch %d: %d bytes passed, budget %d", batch, used, lim.MaxBatchBytes)
			}
		}
		if block > lim.MaxTotalBytes {
			t.Fatalf("block: %d bytes passed, budget %d", block, lim.MaxTotalBytes)
		}
	})
}
