package execution

import "testing"

// With SnapshotBytesPerCommand a snapshot waits until the commands since
// the last one, times the rate, reach its size, within the block bounds.
func TestSnapshotSpacedByStateSize(t *testing.T) {
	cases := []struct {
		name      string
		blocks    uint64 // since the last snapshot
		commands  uint64 // since the last snapshot
		sizeBytes int
		want      bool
	}{
		{"below the minimum interval", 9, 1 << 20, 1, false},
		{"state small enough", 10, 10, 640, true},
		{"state too large yet", 10, 9, 640, false},
		{"maximum interval reached", 100, 0, 1 << 30, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := &Executor{cfg: Config{SnapshotEveryBlocks: 10, SnapshotBytesPerCommand: 64, SnapshotMaxBlocks: 100}}
			e.height, e.executed, e.lastSnapBytes = 1000+tc.blocks, 5000+tc.commands, tc.sizeBytes
			e.lastSnap, e.executedAtSnap = 1000, 5000
			if got := e.snapshotDue(); got != tc.want {
				t.Fatalf("snapshotDue = %v, want %v", got, tc.want)
			}
		})
	}
}
