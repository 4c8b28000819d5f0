package hotstuff

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/wire"
)

// fetchResponse answers a block request with blocks, newest first.
func fetchResponse(blocks ...*Block) *wire.Message {
	r := &wire.BlockResponse{}
	for _, b := range blocks {
		r.Blocks = append(r.Blocks, &wire.BlockWithPayload{Block: b.msg, Payload: b.Payload})
	}
	return &wire.Message{Body: &wire.Message_BlockResponse{BlockResponse: r}}
}

// docs/protocol.md section 3.5 "a fetched block is held to the same rules as a
// proposal"; issue 15 (Lesser): a block that reaches a replica only through
// a fetch (any replica can name a hash, for example in a collect, and serve
// a block it made up) carries no proposer signature and no timeout
// certificate, so it is never voted for, and it does not take the place of
// the leader's real proposal.
func TestFetchedBlockIsNeverVotedFor(t *testing.T) {
	for _, tc := range []struct {
		name     string
		proposer uint32
	}{
		{"in the leader's name", 0},
		{"by a non-leader", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, bs, qcs := votingFixture(t)
			fake := c.block(tc.proposer, 1, bs[0], qcs[0], encodeItems([]uint64{666}))
			core := c.nodes[3].core
			core.Fetch(c.now, fake.Hash, 2)
			c.collect(c.nodes[3])
			rd, err := c.stepOne(3, 2, fetchResponse(fake))
			if err != nil {
				t.Fatal(err)
			}
			if core.Block(fake.Hash) == nil {
				t.Fatal("the fetched block was not taken at all")
			}
			if vs := votesIn(rd); len(vs) != 0 {
				t.Fatalf("voted for a fetched block: %v", vs)
			}
			rd, err = c.stepOne(3, 0, c.proposal(bs[1], nil))
			if err != nil {
				t.Fatal(err)
			}
			if vs := votesIn(rd); len(vs) != 1 || HashOf(vs[0].BlockHash) != bs[1].Hash {
				t.Fatalf("votes %v, want one for the leader's real proposal", vs)
			}
		})
	}
}

// A proposal whose parent is unknown waits for it; the leader check, which
// needs the parent, happens once it arrives (admitProposal): a non-leader's
// proposal is then neither stored nor voted for, and the leader's is.
func TestOrphanProposalOfANonLeaderIsDropped(t *testing.T) {
	c, bs, qcs := votingFixture(t)
	core := c.nodes[3].core
	fake := c.block(2, 2, bs[1], qcs[1], encodeItems([]uint64{666}))
	if _, err := c.stepOne(3, 2, c.proposal(fake, nil)); err != nil {
		t.Fatal(err)
	}
	if core.View() != 2 || core.orphanCount != 1 {
		t.Fatalf("the proposal on an unknown parent did not wait as an orphan: %s", core)
	}
	rd, err := c.stepOne(3, 0, fetchResponse(bs[1]))
	if err != nil {
		t.Fatal(err)
	}
	if core.Block(fake.Hash) != nil {
		t.Fatal("stored the proposal of a replica that does not lead view 2")
	}
	if vs := votesIn(rd); len(vs) != 0 {
		t.Fatalf("voted for a non-leader's proposal: %v", vs)
	}
	rd, err = c.stepOne(3, 0, c.proposal(bs[2], nil))
	if err != nil {
		t.Fatal(err)
	}
	if vs := votesIn(rd); len(vs) != 1 || HashOf(vs[0].BlockHash) != bs[2].Hash {
		t.Fatalf("votes %v, want one for the leader's view-2 proposal", vs)
	}
}

// Issue 15 (Lesser): "after a restart, stale pending entries keep view
// timers running in an idle cluster". Work that only one replica's payload
// rules report, and that no leader can build, costs a bounded number of
// timeouts; then that replica's timer stays off, and the cluster is quiet.
func TestLocalOnlyWorkDoesNotKeepTimersRunning(t *testing.T) {
	c := newCluster(t, 4)
	c.submit([]uint64{1})
	if !c.run(20*testViewTimeoutUs, func() bool { return c.allCommitted(1) }) {
		t.Fatal("item not committed")
	}
	c.run(50*testViewTimeoutUs, func() bool { return false })
	before := len(c.sentOf(isKind("timeout")))
	for _, i := range []int{1, 2} { // a leader and a follower of the next views
		r := c.nodes[i]
		r.rules.phantom = true
		r.core.Poke(c.now)
		c.collect(r)
	}
	c.run(500*testViewTimeoutUs, func() bool { return false })
	sent := len(c.sentOf(isKind("timeout"))) - before
	if sent == 0 {
		t.Fatal("no timeout at all for the pending work")
	}
	if w := c.nextWake(); w != 0 {
		t.Fatalf("a timer is still armed at %d (now %d) after %d timeout messages", w, c.now, sent)
	}
	// Quiet from now on, and it took a bounded number of timeouts (each
	// replica stops after 2n of its own, plus the ones it joins).
	c.run(500*testViewTimeoutUs, func() bool { return false })
	if more := len(c.sentOf(isKind("timeout"))) - before - sent; more != 0 {
		t.Fatalf("%d more timeout messages in an idle cluster", more)
	}
	if limit := 2 * 4 * c.nodes[0].core.maxIdleTimeouts() * 3; sent > limit {
		t.Fatalf("%d timeout messages for work nobody else sees, want at most %d", sent, limit)
	}
	// New input starts the count again.
	c.nodes[1].core.Poke(c.now)
	c.collect(c.nodes[1])
	if c.nodes[1].core.WakeAt() == 0 {
		t.Fatal("a poke did not arm the timer again")
	}
}
