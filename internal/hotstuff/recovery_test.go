package hotstuff

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

// docs/protocol.md section 3.5: "Persist lastVotedView and the lock before sending a
// vote." A core restarted from its store at any point never votes twice in
// a view, keeps its lock and its committed height; with Mem.Crash (which
// drops unsynced writes; the harness syncs every Ready) the same holds.
func TestRestartAtEveryStepKeepsSafetyState(t *testing.T) {
	for _, crash := range []bool{false, true} {
		c := newCluster(t, 4)
		c.submit([]uint64{1, 2, 3})
		victim := 2
		restarts := 0
		for step := 0; step < 400 && !c.allCommitted(1, 2, 3); step++ {
			if len(c.queue) == 0 {
				if w := c.nextWake(); w != 0 {
					c.advance(w - c.now)
				}
				continue
			}
			c.deliver(c.pop(0))
			if step%3 != 0 {
				continue
			}
			old := c.nodes[victim].core
			lastVoted, lock, height, view := old.lastVoted, old.lockedQC.View, old.CommittedHeight(), old.View()
			c.restart(victim, crash)
			restarts++
			now := c.nodes[victim].core
			if now.lastVoted != lastVoted || now.lockedQC.View != lock || now.CommittedHeight() != height || now.View() != view {
				t.Fatalf("crash=%v step %d: restart lost state: lastVoted %d->%d lock %d->%d height %d->%d view %d->%d",
					crash, step, lastVoted, now.lastVoted, lock, now.lockedQC.View, height, now.CommittedHeight(), view, now.View())
			}
			now.Poke(c.now)
			c.collect(c.nodes[victim])
		}
		if restarts < 5 {
			t.Fatalf("only %d restarts", restarts)
		}
		if !c.run(100*testViewTimeoutUs, func() bool { return c.allCommitted(1, 2, 3) }) {
			t.Fatalf("crash=%v: items not committed with a restarting replica", crash)
		}
	}
}

// A replica restarted right after voting replays the proposal it voted for
// (a duplicate delivery) and must not vote again, nor for a conflicting
// block of the same view.
func TestRestartedReplicaDoesNotVoteTwice(t *testing.T) {
	c, bs, qcs := votingFixture(t)
	rd, _ := c.stepOne(3, 0, c.proposal(bs[1], nil))
	if len(votesIn(rd)) != 1 {
		t.Fatal("no vote before the restart")
	}
	c.restart(3, true)
	rd, _ = c.stepOne(3, 0, c.proposal(bs[1], nil))
	if vs := votesIn(rd); len(vs) != 0 {
		t.Fatalf("voted again after a restart: %v", vs)
	}
	twin := c.block(0, 1, bs[0], qcs[0], encodeItems([]uint64{99}))
	rd, _ = c.stepOne(3, 0, c.proposal(twin, nil))
	if vs := votesIn(rd); len(vs) != 0 {
		t.Fatalf("voted for a conflicting block after a restart: %v", vs)
	}
}

// Uncommitted blocks stored before a restart are recovered: a replica that
// restarts in the middle of a 3-chain commits when the last QC arrives.
func TestRestartRecoversUncommittedChain(t *testing.T) {
	c, bs, qcs := votingFixture(t)
	for v := 1; v <= 3; v++ {
		if _, err := c.stepOne(3, 0, c.proposal(bs[v], nil)); err != nil {
			t.Fatal(err)
		}
	}
	// QC(2) in b3 committed b1 (2-chain b1 <- b2 in views 1, 2).
	c.restart(3, true)
	if lock, h := c.nodes[3].core.lockedQC.View, c.nodes[3].core.CommittedHeight(); lock != 1 || h != 1 {
		t.Fatalf("lock %d committed height %d after restart, want 1 and 1", lock, h)
	}
	rd, err := c.stepOne(3, 1, c.proposal(c.block(1, 4, bs[3], qcs[3], nil), nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Committed) != 1 || rd.Committed[0].Hash != bs[2].Hash {
		t.Fatalf("committed %v after restart, want b2", rd.Committed)
	}
	if len(votesIn(rd)) != 1 {
		t.Fatal("no vote for the view-4 block after restart")
	}
}

// A leader restarted after proposing must not propose a different block for
// the same view: correct replicas never equivocate.
func TestRestartedLeaderDoesNotProposeTwiceInAView(t *testing.T) {
	c := newCluster(t, 4)
	c.submit([]uint64{1}, 0)
	props := c.sentOf(and(isKind("proposal"), fromReplica(0)))
	if len(props) == 0 {
		t.Fatal("leader did not propose")
	}
	c.restart(0, true)
	c.submit([]uint64{2}, 0)
	seen := map[uint64]Hash{}
	for _, p := range c.sentOf(and(isKind("proposal"), fromReplica(0))) {
		b := p.msg().GetProposal().Block
		h := HashBlock(testCluster, b)
		if old, ok := seen[b.View]; ok && old != h {
			t.Fatalf("restarted leader proposed two blocks for view %d", b.View)
		}
		seen[b.View] = h
	}
}

// docs/protocol.md section 3.5: "Sign a timeout for view v only if the highest QC is
// from view v-1 or the replica holds a timeout certificate of view v-1".
// A replica whose stored state puts it in a view it holds no certificate
// for (nothing in the protocol leads there; a damaged store could) stops
// voting in the view when its timer fires but signs no timeout.
func TestNoTimeoutWithoutCertificateOfThePreviousView(t *testing.T) {
	c := newCluster(t, 4)
	r := c.nodes[3]
	batch := storage.Batch{}
	batch.Put(keySafety, wire.Marshal(&wire.SafetyState{View: 9}))
	if err := r.store.Apply(&batch, true); err != nil {
		t.Fatal(err)
	}
	c.restart(3, false)
	c.submit([]uint64{1}, 3)
	c.advance(testViewTimeoutUs)
	if r.core.lastVoted != 9 {
		t.Fatalf("last voted view %d after the view-9 timer fired, want 9", r.core.lastVoted)
	}
	if ts := c.sentOf(and(isKind("timeout"), fromReplica(3))); len(ts) != 0 {
		t.Fatalf("signed %d timeouts for view 9 holding neither QC(8) nor TC(8)", len(ts))
	}
}
