package ordering

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
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
