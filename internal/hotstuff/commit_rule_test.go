package hotstuff

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/wire"
)

// docs/protocol.md section 3.5: the preferred view is "the highest view of a block whose
// child it has seen certified" (kept as lockedQC, the QC on that block). Feeding the chain g <- b1 <- b2 <- b3 one
// proposal at a time, the lock trails the newest QC by one view.
func TestLockOnTwoChain(t *testing.T) {
	c, bs, qcs := votingFixture(t)
	b4 := c.block(1, 4, bs[3], qcs[3], nil)
	steps := []struct {
		from     uint32
		b        *Block
		wantLock uint64
		wantHigh uint64
	}{
		{0, bs[1], 0, 0}, // justify QC(0): genesis
		{0, bs[2], 0, 1}, // QC(1) on b1, whose justify is QC(0)
		{0, bs[3], 1, 2}, // QC(2) on b2 locks b1
		{1, b4, 2, 3},    // QC(3) on b3 locks b2
	}
	for _, s := range steps {
		if _, err := c.stepOne(3, s.from, c.proposal(s.b, nil)); err != nil {
			t.Fatalf("view %d: %v", s.b.View, err)
		}
		core := c.nodes[3].core
		if core.lockedQC.View != s.wantLock || core.HighQCView() != s.wantHigh {
			t.Fatalf("after the view-%d proposal: lock %d high %d, want lock %d high %d",
				s.b.View, core.lockedQC.View, core.HighQCView(), s.wantLock, s.wantHigh)
		}
		if st := storedSafety(t, c.nodes[3].store); st.LockedQc.GetView() != s.wantLock {
			t.Fatalf("after the view-%d proposal: stored lock %d, want %d", s.b.View, st.LockedQc.GetView(), s.wantLock)
		}
	}
}

// docs/protocol.md section 3.5: "Commit b once a QC certifies a direct child b' of b
// with b'.view = b.view + 1" (the 2-chain commit of DiemBFT v4 / Jolteon).
func TestCommitOnTwoConsecutiveViews(t *testing.T) {
	c, bs, qcs := votingFixture(t)
	for v := 1; v <= 2; v++ {
		rd, _ := c.stepOne(2, 0, c.proposal(bs[v], nil))
		if len(rd.Committed) != 0 {
			t.Fatalf("committed %d blocks after QC(%d): b1 has no certified child yet", len(rd.Committed), v-1)
		}
	}
	// QC(2) certifies b2, b1's child in view 2: b1 commits.
	rd, _ := c.stepOne(2, 0, c.proposal(bs[3], nil))
	if len(rd.Committed) != 1 || rd.Committed[0].Hash != bs[1].Hash {
		t.Fatalf("committed %v, want exactly b1", rd.Committed)
	}
	if got := c.nodes[2].core.CommittedHeight(); got != 1 {
		t.Fatalf("committed height %d, want 1", got)
	}
	if got, err := LoadCommitted(c.nodes[2].store, testCluster, 4, 1); err != nil || got == nil || got.Hash != bs[1].Hash {
		t.Fatalf("LoadCommitted(1) = %v, %v; want b1", got, err)
	}
	// QC(3), carried by the view-4 proposal, commits b2.
	rd, _ = c.stepOne(2, 1, c.proposal(c.block(1, 4, bs[3], qcs[3], nil), nil))
	if len(rd.Committed) != 1 || rd.Committed[0].Hash != bs[2].Hash {
		t.Fatalf("committed %v, want exactly b2", rd.Committed)
	}
}

// The child must be in the very next view: a certified child after a view
// gap (made here by a timeout certificate) commits nothing.
func TestNoCommitAcrossViewGap(t *testing.T) {
	c, bs, qcs := votingFixture(t)
	if _, err := c.stepOne(2, 0, c.proposal(bs[1], nil)); err != nil {
		t.Fatal(err)
	}
	// View 2 fails (TC(2)); the next leader opens view 3 on QC(1):
	// b1 <- b3 are in views 1 and 3.
	core := c.nodes[2].core
	l3 := core.LeaderOn(3, bs[1].Hash)
	b3 := c.block(l3, 3, bs[1], qcs[1], encodeItems([]uint64{3}))
	if _, err := c.stepOne(2, l3, c.proposal(b3, c.tcWith(2, []uint64{1, 1, 0}, 0, 1, 3))); err != nil {
		t.Fatal(err)
	}
	l4 := core.LeaderOn(4, b3.Hash)
	qc3 := c.qc(3, b3.Hash, 0, 1, 3)
	b4 := c.block(l4, 4, b3, qc3, encodeItems([]uint64{4}))
	rd, err := c.stepOne(2, l4, c.proposal(b4, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Committed) != 0 {
		t.Fatalf("QC(3) on b3, b1's child two views later, committed %d blocks", len(rd.Committed))
	}
	if lock := core.lockedQC.View; lock != 1 {
		t.Fatalf("preferred view %d, want 1 (b1 has a certified child)", lock)
	}
	// QC(4) certifies b4, b3's child in view 4: b3 commits, and b1 with it,
	// oldest first.
	l5 := core.LeaderOn(5, b4.Hash)
	b5 := c.block(l5, 5, b4, c.qc(4, b4.Hash, 0, 1, 3), nil)
	rd, _ = c.stepOne(2, l5, c.proposal(b5, nil))
	want := []Hash{bs[1].Hash, b3.Hash}
	if len(rd.Committed) != len(want) {
		t.Fatalf("committed %d blocks, want b1, b3", len(rd.Committed))
	}
	for i, h := range want {
		if rd.Committed[i].Hash != h {
			t.Fatalf("commit %d is %s, want %s", i, rd.Committed[i].Hash, h)
		}
	}
}

// A QC that reaches a replica before the blocks it certifies still counts
// once the blocks are fetched: locks and commits follow (docs/protocol.md section 3.5
// "Lagging replicas catch up by fetching blocks and QCs").
func TestCommitAfterFetchingCertifiedBlocks(t *testing.T) {
	c, bs, qcs := votingFixture(t)
	b4 := c.block(1, 4, bs[3], qcs[3], nil)
	rd, err := c.stepOne(2, 1, c.proposal(b4, nil))
	if err != nil {
		t.Fatal(err)
	}
	var req *wire.BlockRequest
	for _, e := range rd.Messages {
		if r := e.Msg.GetBlockRequest(); r != nil {
			req = r
			if e.To != 1 {
				t.Fatalf("fetch sent to %d, want the proposer 1", e.To)
			}
		}
	}
	if req == nil || HashOf(req.Hash) != bs[3].Hash {
		t.Fatalf("no fetch of b3 (request %v)", req)
	}
	resp := &wire.BlockResponse{}
	for v := 3; v >= 1; v-- {
		resp.Blocks = append(resp.Blocks, &wire.BlockWithPayload{Block: bs[v].msg, Payload: bs[v].Payload})
	}
	rd, err = c.stepOne(2, 1, &wire.Message{Body: &wire.Message_BlockResponse{BlockResponse: resp}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Committed) != 2 || rd.Committed[0].Hash != bs[1].Hash || rd.Committed[1].Hash != bs[2].Hash {
		t.Fatalf("committed %v after fetching b1..b3, want b1 and b2", rd.Committed)
	}
	if lock := c.nodes[2].core.lockedQC.View; lock != 2 {
		t.Fatalf("lock %d, want 2", lock)
	}
	// The view-4 block was an orphan; now it is known and voted for.
	if vs := votesIn(rd); len(vs) != 1 || vs[0].View != 4 {
		t.Fatalf("votes %v, want one for view 4", vs)
	}
}
