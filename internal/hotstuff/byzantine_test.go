package hotstuff

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// docs/protocol.md section 1: up to f replicas are Byzantine. An equivocating leader
// (Twins: two cores with the leader's key, each proposing its own block for
// the same view) gets at most one vote per view from each correct replica,
// and the cluster stays safe and live.
func TestEquivocatingLeaderGetsOneVotePerReplica(t *testing.T) {
	c := newCluster(t, 4)
	c.makeTwin(0)
	c.nodes[0].twin.rules.submit(1000) // the twins propose different blocks
	// Half the replicas hear twin 0 first, the other half twin 1.
	c.submit([]uint64{1})
	views := map[uint64]map[Hash]bool{}
	for _, p := range c.sentOf(isKind("proposal")) {
		b := p.msg().GetProposal().Block
		if views[b.View] == nil {
			views[b.View] = map[Hash]bool{}
		}
		views[b.View][HashBlock(testCluster, b)] = true
	}
	if len(views[1]) != 2 {
		t.Fatalf("twins made %d distinct proposals for view 1, want 2", len(views[1]))
	}
	// The harness fails the test if a correct replica votes twice in a view.
	if !c.run(60*testViewTimeoutUs, func() bool { return c.allCommitted(1) }) {
		t.Fatal("item not committed with an equivocating leader")
	}
	for _, r := range c.correct() {
		if len(c.votes[r.id]) == 0 {
			t.Fatalf("replica %d never voted", r.id)
		}
	}
}

// docs/protocol.md section 3.5: "a QC is 2f+1 votes on a block". Double votes by a
// Byzantine replica cannot complete a QC for a block that only f+1 replicas
// support.
func TestDoubleVotesDoNotFormConflictingQCs(t *testing.T) {
	c, bs, qcs := votingFixture(t)
	// Replica 0 leads view 2 and tallies votes for view 1. Byzantine
	// replica 1 votes for b1 and for a twin of b1; the correct replicas 2
	// and 3 vote for b1 only. Only b1 gets a QC.
	twin := c.block(0, 1, bs[0], qcs[0], encodeItems([]uint64{99}))
	for _, m := range []struct {
		from uint32
		msg  *wire.Message
	}{{1, c.vote(1, twin)}, {1, c.vote(1, bs[1])}, {2, c.vote(2, bs[1])}, {0, c.vote(0, twin)}} {
		if _, err := c.stepOne(0, m.from, m.msg); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.nodes[0].core.HighQCView(); got != 0 {
		t.Fatal("QC formed with two votes per block")
	}
	if _, err := c.stepOne(0, 3, c.vote(3, bs[1])); err != nil {
		t.Fatal(err)
	}
	core := c.nodes[0].core
	if core.HighQCView() != 1 || core.qcHash(core.highQC) != bs[1].Hash {
		t.Fatalf("high QC %d on %s, want view 1 on b1", core.HighQCView(), core.qcHash(core.highQC))
	}
}

// Standards: "Bounds everywhere (queues, buffers, caches)". A leader may sign
// any number of distinct blocks for its view; a replica must not keep (in
// memory and on disk) an unbounded number of them.
func TestEquivocationFloodIsBounded(t *testing.T) {
	c, bs, qcs := votingFixture(t)
	const proposals = 300
	for i := 0; i < proposals; i++ {
		b := c.block(0, 1, bs[0], qcs[0], encodeItems([]uint64{uint64(10_000 + i)}))
		if _, err := c.stepOne(3, 0, c.proposal(b, nil)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.nodes[3].core.blocks); n > 16 {
		t.Fatalf("replica keeps %d blocks after %d proposals for one view", n, proposals)
	}
	if n := c.nodes[3].store.Len(); n > 40 {
		t.Fatalf("replica stores %d keys after %d proposals for one view", n, proposals)
	}
}

// Standards: bounds everywhere. Votes are tallied before their signatures
// are checked (a batch check once a quorum is present), so a Byzantine
// replica can send votes for any block hash without signing anything.
func TestVoteFloodIsBounded(t *testing.T) {
	c := newCluster(t, 4)
	core := c.nodes[1].core // leader of views 4..7: tallies votes for views 3..6
	const votes = 5000
	for i := 0; i < votes; i++ {
		h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
		v := &wire.Vote{View: 3 + uint64(i%4), BlockHash: h[:], Voter: 2, Sig: make([]byte, 64)}
		if err := core.Step(c.now, 2, &wire.Message{Body: &wire.Message_Vote{Vote: v}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(core.votes); n > 4*c.n {
		t.Fatalf("%d vote tallies after %d unsigned votes from one replica", n, votes)
	}
}

// Standards: bounds everywhere. Timeouts for views far ahead are kept (to
// join a view change on f+1), one tally per view.
func TestTimeoutFloodIsBounded(t *testing.T) {
	c := newCluster(t, 4)
	core := c.nodes[3].core
	const timeouts = 300
	s := c.signer(2)
	for i := 0; i < timeouts; i++ {
		view := uint64(100 + i)
		to := &wire.Timeout{View: view, Voter: 2, Sig: s.Sign(crypto.DomainTimeout, crypto.U64(view), crypto.U64(0)), HighQc: c.qc(0, c.genesis().Hash)}
		if err := core.Step(c.now, 2, &wire.Message{Body: &wire.Message_Timeout{Timeout: to}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(core.timeouts); n > 4*c.n {
		t.Fatalf("%d timeout tallies after %d timeouts from one replica", n, timeouts)
	}
}
