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

// The reply cache keeps both bounds, evicting oldest first, and always
// keeps the newest reply.
func TestReplyCacheBounds(t *testing.T) {
	c := newReplyCache(3, 100)
	d := func(i byte) (out [32]byte) { out[0] = i; return out }
	c.put(d(1), cachedReply{}, 40)
	c.put(d(2), cachedReply{}, 40)
	c.put(d(3), cachedReply{}, 40) // 120 commands: evicts 1
	if c.has(d(1)) || !c.has(d(2)) || !c.has(d(3)) {
		t.Fatal("command bound not kept oldest-first")
	}
	c.put(d(4), cachedReply{}, 1)
	c.put(d(5), cachedReply{}, 1) // 4 batches: evicts 2
	if c.has(d(2)) || len(c.m) != 3 {
		t.Fatalf("batch bound not kept: %d cached", len(c.m))
	}
	c.put(d(6), cachedReply{}, 1000) // alone beyond the bound: kept alone
	if !c.has(d(6)) || len(c.m) != 1 || c.commands != 1000 {
		t.Fatalf("newest reply not kept alone: %d cached, %d commands", len(c.m), c.commands)
	}
	for i := 0; i < 1000; i++ {
		c.put(d(byte(i)), cachedReply{}, 1)
	}
	if len(c.order)-c.head != len(c.m) || len(c.order) > 2*len(c.m)+1 {
		t.Fatalf("order not compacted: %d slots for %d replies", len(c.order), len(c.m))
	}
}
