package hotstuff

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/wire"
)

// Scenario tests of chained HotStuff, each citing the rule of docs/protocol.md
// section 3.5 (or doc.go / README "Protocol notes") it checks.

// docs/protocol.md section 3.5: "a QC is 2f+1 votes on a block"; doc.go: "Votes for a
// block of view v go to the leader of v+1, which forms the QC and proposes
// the next block on it: proposals are pipelined".
func TestHappyPathVotesGoToNextLeaderAndAllCommitInOrder(t *testing.T) {
	for _, n := range []int{4, 7} {
		c := newCluster(t, n)
		c.submit([]uint64{1})
		if !c.run(10*testViewTimeoutUs, func() bool { return c.allCommitted(1) }) {
			t.Fatalf("n=%d: item 1 not committed everywhere", n)
		}
		for i := uint64(2); i <= 6; i++ {
			c.submit([]uint64{i})
			if !c.run(10*testViewTimeoutUs, func() bool { return c.allCommitted(i) }) {
				t.Fatalf("n=%d: item %d not committed everywhere", n, i)
			}
		}
		votes := c.sentOf(isKind("vote"))
		if len(votes) == 0 {
			t.Fatal("no votes sent")
		}
		for _, p := range votes {
			v := p.msg().GetVote()
			if want := c.nodes[0].core.LeaderOn(v.View+1, HashOf(v.BlockHash)); p.to != want {
				t.Fatalf("n=%d: vote for view %d sent to %d, leader of view %d is %d", n, v.View, p.to, v.View+1, want)
			}
		}
		// Every proposal came from its view's leader, one block per view.
		perView := map[uint64]Hash{}
		for _, p := range c.sentOf(isKind("proposal")) {
			b := p.msg().GetProposal().Block
			if want := c.nodes[0].core.LeaderOn(b.View, HashOf(b.Parent)); p.from != want {
				t.Fatalf("proposal for view %d from %d, leader is %d", b.View, p.from, want)
			}
			h := HashBlock(testCluster, b)
			if old, ok := perView[b.View]; ok && old != h {
				t.Fatalf("two proposals for view %d from a correct leader", b.View)
			}
			perView[b.View] = h
		}
		// No view timed out in a timely network.
		if to := c.sentOf(isKind("timeout")); len(to) > 0 {
			t.Fatalf("n=%d: %d timeouts in a timely run", n, len(to))
		}
		// The harness checked at each commit that all replicas commit the
		// same block at each height, each a child of the previous one.
		if len(c.commits) < 6 {
			t.Fatalf("n=%d: only %d heights committed", n, len(c.commits))
		}
	}
}

// doc.go: "a new block never waits for an older one to commit".
func TestPipeliningProposesBeforePreviousCommits(t *testing.T) {
	c := newCluster(t, 4)
	c.submit([]uint64{1})
	// Give the leader more work as soon as block 1 is out, so the next
	// block carries payload of its own.
	c.deliverWhere(isKind("proposal"))
	c.submit([]uint64{2})
	var second *packet
	for len(c.queue) > 0 && second == nil {
		c.deliver(c.pop(0))
		for _, p := range c.queue {
			if p.kind == "proposal" && p.msg().GetProposal().Block.Height == 2 {
				second = p
				break
			}
		}
	}
	if second == nil {
		t.Fatal("leader never proposed a second block")
	}
	if len(c.commits) != 0 {
		t.Fatalf("block at height 2 proposed only after %d commits: not pipelined", len(c.commits))
	}
	if got := decodeItems(second.msg().GetProposal().Payload); len(got) != 1 || got[0] != 2 {
		t.Fatalf("second block carries %v, want [2]", got)
	}
	if !c.run(10*testViewTimeoutUs, func() bool { return c.allCommitted(1, 2) }) {
		t.Fatal("items not committed")
	}
}

// ------------------------------------------------------------ voting rule

// votingFixture: replica 1 of n=4 (leader of views 4..7 is 1, so it
// receives proposals from 0 for views 1..3 and from 2 for views 8..11).
// It returns the cluster and a certified chain g <- b1 <- b2 <- b3 built by
// leader 0 with QCs from replicas 0, 2, 3.
func votingFixture(t failer) (*cluster, []*Block, []*wire.QuorumCert) {
	c := newCluster(t, 4)
	g := c.genesis()
	q := []uint32{0, 2, 3}
	qcs := []*wire.QuorumCert{c.qc(0, g.Hash)}
	blocks := []*Block{g}
	for v := uint64(1); v <= 3; v++ {
		b := c.block(0, v, blocks[v-1], qcs[v-1], encodeItems([]uint64{v}))
		blocks = append(blocks, b)
		qcs = append(qcs, c.qc(v, b.Hash, q...))
	}
	return c, blocks, qcs
}

// docs/protocol.md section 3.5: vote for a block of view v only if v > lastVotedView,
// its QC is from a view at least the preferred view, and either that QC is
// from view v-1 or the block carries the TC of view v-1 and its QC is at
// least as high as every QC in that TC.
func TestVotingRule(t *testing.T) {
	t.Run("votes for a valid block of the current view", func(t *testing.T) {
		c, bs, _ := votingFixture(t)
		rd, err := c.stepOne(1, 0, c.proposal(bs[1], nil))
		if err != nil {
			t.Fatal(err)
		}
		vs := votesIn(rd)
		if len(vs) != 1 || vs[0].View != 1 || HashOf(vs[0].BlockHash) != bs[1].Hash {
			t.Fatalf("votes %v, want one for view 1 block", vs)
		}
	})
	t.Run("no second vote in a view (equivocating leader)", func(t *testing.T) {
		c, bs, qcs := votingFixture(t)
		twin := c.block(0, 1, bs[0], qcs[0], encodeItems([]uint64{99}))
		rd, _ := c.stepOne(1, 0, c.proposal(bs[1], nil))
		if len(votesIn(rd)) != 1 {
			t.Fatal("no vote for the first proposal")
		}
		rd, _ = c.stepOne(1, 0, c.proposal(twin, nil))
		if vs := votesIn(rd); len(vs) != 0 {
			t.Fatalf("voted for a second block in view 1: %v", vs)
		}
	})
	t.Run("no vote for a view at or below the last voted view", func(t *testing.T) {
		c, bs, _ := votingFixture(t)
		// The replica timed out in view 1 before the proposal came: a timeout
		// counts as the last vote of the view.
		c.nodes[1].rules.submit(7)
		c.nodes[1].core.Poke(c.now)
		c.collect(c.nodes[1])
		c.advance(testViewTimeoutUs)
		if c.nodes[1].core.lastVoted != 1 {
			t.Fatalf("lastVoted %d after timing out in view 1", c.nodes[1].core.lastVoted)
		}
		rd, _ := c.stepOne(1, 0, c.proposal(bs[1], nil))
		if vs := votesIn(rd); len(vs) != 0 {
			t.Fatalf("voted in view 1 after timing out in it: %v", vs)
		}
		// The next view is fine.
		rd, _ = c.stepOne(1, 0, c.proposal(bs[2], nil))
		if vs := votesIn(rd); len(vs) != 1 || vs[0].View != 2 {
			t.Fatalf("votes %v, want one for view 2", vs)
		}
	})
	t.Run("no vote for a block whose QC is below the preferred view", func(t *testing.T) {
		c, _, _ := votingFixture(t)
		i := 2
		preferB1(t, c, i)
		// A fork of view 5 (TC(4), whose signers report only the genesis QC)
		// on the genesis QC, below the preferred view 1: refused.
		g := c.genesis()
		l := c.nodes[i].core.LeaderOn(5, g.Hash)
		fork := c.block(l, 5, g, c.qc(0, g.Hash), encodeItems([]uint64{42}))
		rd, err := c.stepOne(i, l, c.proposal(fork, c.tc(4, 0, 1, 3)))
		if err != nil {
			t.Fatal(err)
		}
		if v := c.nodes[i].core.View(); v != 5 {
			t.Fatalf("view %d after TC(4), want 5", v)
		}
		if vs := votesIn(rd); len(vs) != 0 {
			t.Fatalf("voted for a block on QC(0) with preferred view 1: %v", vs)
		}
	})
	t.Run("votes for a block on the preferred block after a TC", func(t *testing.T) {
		c, bs, qcs := votingFixture(t)
		i := 2
		preferB1(t, c, i)
		l := c.nodes[i].core.LeaderOn(5, bs[1].Hash)
		if int(l) == i {
			t.Fatalf("fixture: replica %d leads view 5", i)
		}
		ext := c.block(l, 5, bs[1], qcs[1], encodeItems([]uint64{43}))
		rd, err := c.stepOne(i, l, c.proposal(ext, c.tcWith(4, []uint64{1, 1, 0}, 0, 1, 3)))
		if err != nil {
			t.Fatal(err)
		}
		if vs := votesIn(rd); len(vs) != 1 || vs[0].View != 5 || HashOf(vs[0].BlockHash) != ext.Hash {
			t.Fatalf("votes %v, want one for the view-5 block on QC(1)", vs)
		}
	})
	// docs/protocol.md section 3.5: "the block carries a timeout certificate of view v-1
	// and its QC is at least as high as every QC in that certificate".
	t.Run("no proposal on a QC below the highest QC in its TC", func(t *testing.T) {
		c, bs, qcs := votingFixture(t)
		i := 2
		preferB1(t, c, i)
		l := c.nodes[i].core.LeaderOn(5, bs[1].Hash)
		ext := c.block(l, 5, bs[1], qcs[1], encodeItems([]uint64{44}))
		rd, err := c.stepOne(i, l, c.proposal(ext, c.tcWith(4, []uint64{1, 3, 0}, 0, 1, 3)))
		if err == nil {
			t.Fatal("accepted a proposal on QC(1) with a TC that lists QC(3)")
		}
		if vs := votesIn(rd); len(vs) != 0 {
			t.Fatalf("voted: %v", vs)
		}
	})
	t.Run("no proposal on an old QC without the TC of the previous view", func(t *testing.T) {
		c, bs, qcs := votingFixture(t)
		i := 2
		preferB1(t, c, i)
		l := c.nodes[i].core.LeaderOn(5, bs[1].Hash)
		ext := c.block(l, 5, bs[1], qcs[1], encodeItems([]uint64{45}))
		for _, tc := range []*wire.TimeoutCert{nil, c.tc(3, 0, 1, 3)} {
			rd, err := c.stepOne(i, l, c.proposal(ext, tc))
			if err == nil || len(votesIn(rd)) != 0 {
				t.Fatalf("with TC %v: err %v, votes %v; want refused", tc, err, votesIn(rd))
			}
		}
	})
	t.Run("votes when the QC is newer than the preferred view, on a fork", func(t *testing.T) {
		c, _, _ := votingFixture(t)
		i := 2
		preferB1(t, c, i)
		// A fork from genesis certified at view 5 (by a quorum that never
		// saw b1 certified) justifies the view-6 proposal: it does not extend
		// b1, but its QC is newer than the preferred view.
		g := c.genesis()
		alt5 := c.block(1, 5, g, c.qc(0, g.Hash), encodeItems([]uint64{55}))
		qc5 := c.qc(5, alt5.Hash, 0, 1, 3)
		alt6 := c.block(1, 6, alt5, qc5, encodeItems([]uint64{56}))
		rd, err := c.stepOne(i, 1, c.proposal(alt6, nil))
		if err != nil {
			t.Fatal(err)
		}
		if len(votesIn(rd)) != 0 {
			t.Fatal("voted for a block whose ancestors it does not know")
		}
		rd, err = c.stepOne(i, 1, fetchResponse(alt5))
		if err != nil {
			t.Fatal(err)
		}
		if vs := votesIn(rd); len(vs) != 1 || vs[0].View != 6 || HashOf(vs[0].BlockHash) != alt6.Hash {
			t.Fatalf("votes %v, want one for the view-6 fork block (QC(5) newer than preferred view 1)", vs)
		}
	})
	t.Run("no vote for a block the payload rules refuse", func(t *testing.T) {
		c, bs, _ := votingFixture(t)
		c.nodes[1].rules.verdict = func(*Block) Verdict { return Invalid }
		rd, _ := c.stepOne(1, 0, c.proposal(bs[1], nil))
		if vs := votesIn(rd); len(vs) != 0 {
			t.Fatalf("voted for an invalid block: %v", vs)
		}
	})
	t.Run("Wait defers the vote until the rules are satisfied", func(t *testing.T) {
		c, bs, _ := votingFixture(t)
		verdict := Wait
		c.nodes[1].rules.verdict = func(*Block) Verdict { return verdict }
		rd, _ := c.stepOne(1, 0, c.proposal(bs[1], nil))
		if vs := votesIn(rd); len(vs) != 0 {
			t.Fatalf("voted while the rules wait: %v", vs)
		}
		verdict = Valid
		c.nodes[1].core.Poke(c.now)
		if vs := votesIn(c.collect(c.nodes[1])); len(vs) != 1 {
			t.Fatalf("votes %v after the rules became satisfied, want one", vs)
		}
	})
}

// preferB1 brings replica i to preferred view 1 with nothing committed: b1
// (view 1), view 2 fails, b3 (view 3, on QC(1) with TC(2)) and b4 (view 4,
// on QC(3)). QC(3) certifies b3, b1's child, so b1 is preferred; b3 is two
// views after b1, so b1 is not committed.
func preferB1(t *testing.T, c *cluster, i int) {
	t.Helper()
	g := c.genesis()
	b1 := c.block(0, 1, g, c.qc(0, g.Hash), encodeItems([]uint64{1}))
	if _, err := c.stepOne(i, 0, c.proposal(b1, nil)); err != nil {
		t.Fatal(err)
	}
	core := c.nodes[i].core
	l3 := core.LeaderOn(3, b1.Hash)
	b3 := c.block(l3, 3, b1, c.qc(1, b1.Hash, 0, 1, 3), encodeItems([]uint64{3}))
	if _, err := c.stepOne(i, l3, c.proposal(b3, c.tcWith(2, []uint64{1, 0, 1}, 0, 1, 3))); err != nil {
		t.Fatal(err)
	}
	l4 := core.LeaderOn(4, b3.Hash)
	b4 := c.block(l4, 4, b3, c.qc(3, b3.Hash, 0, 1, 3), encodeItems([]uint64{4}))
	if _, err := c.stepOne(i, l4, c.proposal(b4, nil)); err != nil {
		t.Fatal(err)
	}
	if lock, h := core.lockedQC.View, core.CommittedHeight(); lock != 1 || h != 0 {
		t.Fatalf("preferred view %d, committed height %d; want 1 and 0", lock, h)
	}
	if core.lastVoted != 4 {
		t.Fatalf("last voted view %d, want 4", core.lastVoted)
	}
}

// HashOf converts a wire hash that is known to be well formed.
func HashOf(b []byte) Hash {
	h, err := HashFromBytes(b)
	if err != nil {
		panic(err)
	}
	return h
}
