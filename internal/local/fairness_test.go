package local

import (
	"path/filepath"
	"testing"

	"github.com/pompe-bft/pompe/internal/runlog"
)

func TestFairnessAt10ms(t *testing.T) {
	tests := []struct {
		name    string
		heights []uint64 // client i's one command, sent i*20 ms after the first
		want    float64
		none    bool
	}{
		{name: "in send order", heights: []uint64{1, 2, 3}, want: 1},
		{name: "reversed", heights: []uint64{3, 2, 1}, want: 0},
		{name: "one pair out of three", heights: []uint64{2, 1, 3}, want: 2.0 / 3},
		{name: "single client", heights: []uint64{1}, none: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for i, h := range tt.heights {
				w, err := runlog.CreateClientRecords(filepath.Join(dir, runlog.ClientRecordsName(i)))
				if err != nil {
					t.Fatal(err)
				}
				rec := runlog.ClientRecord{Seq: 1, SentUs: 1_000_000 + int64(i)*20_000, ExecutedUs: 2_000_000, Height: h}
				rec.Client[0] = byte(i)
				if err := w.Write(rec); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
			}
			got, err := fairnessAt10ms(dir)
			if err != nil {
				t.Fatal(err)
			}
			if tt.none != (got == nil) || (got != nil && *got != tt.want) {
				t.Fatalf("fairness %v, want %v (none %v)", got, tt.want, tt.none)
			}
		})
	}
}
