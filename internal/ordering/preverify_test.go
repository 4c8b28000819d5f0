package ordering

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/wire"
)

// checksDuring counts the signatures f checks.
func checksDuring(f func()) uint64 {
	before := crypto.Ops().Verified
	f()
	return crypto.Ops().Verified - before
}

func proposalOf(s *slotScene, payload []byte) *wire.Message {
	g := s.h.tree.genesis.Hash
	return &wire.Message{Body: &wire.Message_Proposal{Proposal: &wire.Proposal{
		Block: &wire.Block{View: s.view, Parent: g[:]}, Payload: payload}}}
}

// TestPreVerifiedSlotIsValidatedWithoutSignatureChecks: after the
// pre-verification stage saw the proposal, Validate finds the collect reply
// signatures and the proof roots cached and checks none itself.
func TestPreVerifiedSlotIsValidatedWithoutSignatureChecks(t *testing.T) {
	cold := newSlotScene(t)
	if n := checksDuring(func() {
		if v, err := cold.h.ords[1].Validate(cold.h.now, cold.block(cold.payload), cold.h.tree.genesis); v != hotstuff.Valid {
			t.Fatalf("genuine slot: %v %v", v, err)
		}
	}); n < uint64(cold.h.q) {
		t.Fatalf("a cold Validate checked %d signatures, want at least the %d replies", n, cold.h.q)
	}

	s := newSlotScene(t)
	PreVerifyPayload(s.h.com, s.h.ords[1].cfg.Verifier, proposalOf(s, s.payload))
	if n := checksDuring(func() {
		if v, err := s.h.ords[1].Validate(s.h.now, s.block(s.payload), s.h.tree.genesis); v != hotstuff.Valid {
			t.Fatalf("genuine slot: %v %v", v, err)
		}
	}); n != 0 {
		t.Errorf("Validate after pre-verification checked %d signatures, want 0", n)
	}
}

// TestCachedRepliesDoNotValidateAnotherSlot: once a slot's replies are
// cached, a slot that reuses their signatures over different lists (here
// one reply's bitmap is emptied; the others still cover every entry) is
// still refused.
func TestCachedRepliesDoNotValidateAnotherSlot(t *testing.T) {
	s := newSlotScene(t)
	if v, err := s.h.ords[1].Validate(s.h.now, s.block(s.payload), s.h.tree.genesis); v != hotstuff.Valid {
		t.Fatalf("genuine slot: %v %v", v, err)
	}
	var sl wire.Slot
	if err := proto.Unmarshal(s.payload, &sl); err != nil {
		t.Fatal(err)
	}
	sl.Replies[0].Entries = make([]byte, len(sl.Replies[0].Entries))
	forged := wire.Marshal(&sl)
	PreVerifyPayload(s.h.com, s.h.ords[3].cfg.Verifier, proposalOf(s, forged))
	if v, _ := s.h.ords[3].Validate(s.h.now, s.block(forged), s.h.tree.genesis); v != hotstuff.Invalid {
		t.Errorf("a slot with a reply's list changed under its cached signature: %v, want Invalid", v)
	}
}

// TestLeaderChecksEachReplyOnce: the leader checks each collect reply when
// it arrives; validating its own slot afterwards checks only its own reply,
// which it signed and never checked.
func TestLeaderChecksEachReplyOnce(t *testing.T) {
	h := newHarness(t, 4, 1)
	batches := proven(t, h, 3, 256)
	ords := make([]*Orderer, h.n)
	outs := make([]*outbox.Outbox, h.n)
	for i := range ords {
		ords[i], outs[i] = benchOrderer(t, h, i, 256, 3)
		sequenceAll(t, h, ords[i], outs[i], batches)
	}
	h.now += 1_000_000
	view := uint64(4) // led by replica 0
	h.tree.setView(view)
	genesis := h.tree.genesis
	leader := ords[0]
	if _, ok := leader.Build(h.now, view, genesis, true); ok {
		t.Fatal("slot built before any collect reply")
	}
	var payload []byte
	arrival := checksDuring(func() {
		routeCollect(t, h, ords, outs)
		var ok bool
		if payload, ok = leader.Build(h.now, view, genesis, true); !ok {
			t.Fatal("no slot after 2f+1 collect replies")
		}
	})
	if arrival != uint64(h.n-1) {
		t.Errorf("the leader checked %d replies as they arrived, want %d", arrival, h.n-1)
	}
	blk := &hotstuff.Block{View: view, Height: 1, Parent: genesis.Hash, Proposer: 0, Payload: payload}
	if n := checksDuring(func() {
		if v, err := leader.Validate(h.now, blk, genesis); v != hotstuff.Valid {
			t.Fatalf("own slot: %v %v", v, err)
		}
	}); n != 1 {
		t.Errorf("validating its own slot, the leader checked %d signatures, want 1 (its own reply)", n)
	}
}
