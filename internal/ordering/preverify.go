package ordering

import (
	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// PreVerifyClient checks the root signatures of a sequence request's proof
// outside the state machine, so that the verifier's root cache holds them
// when the ordering layer checks the proof. It may run on any goroutine; its
// result is only a hint.
func PreVerifyClient(v *tsproof.Verifier, m *wire.ClientMessage) {
	if r := m.GetSequenceRequest(); r != nil && r.Proof != nil {
		_ = v.VerifyProof(r.Digest, r.Ts, r.Proof)
	}
}

// PreVerifyPayload does the same for the proofs a slot carries in a
// proposal, and for proofs in fetched sequenced batches. It also checks the
// slot's collect reply signatures into the committee's verified-signature
// cache, so that Validate on the state machine finds them there.
func PreVerifyPayload(c *crypto.Committee, v *tsproof.Verifier, m *wire.Message) {
	switch b := m.Body.(type) {
	case *wire.Message_Proposal:
		s, err := decodeSlot(b.Proposal.Payload)
		if err != nil {
			return
		}
		if blk := b.Proposal.Block; blk != nil && len(s.Replies) <= c.N() && len(s.Batches) <= MaxSlotEntries {
			items := make([]crypto.Item, 0, len(s.Replies))
			for _, r := range s.Replies {
				if crypto.Bitmap(r.Entries).Check(len(s.Batches)) != nil {
					return
				}
				msg := collectBytes(c.Cluster(), blk.View, blk.Parent, s.Boundary, repliedList(s, crypto.Bitmap(r.Entries)))
				items = append(items, crypto.Item{Replica: r.Replica, Msg: msg, Sig: r.Sig})
			}
			_, _ = c.VerifyBatchCached(items)
		}
		for _, sb := range s.Batches {
			if p, err := expandProof(s, sb); err == nil {
				_ = v.VerifyCerts(sb.Digest, p.Certs)
			}
		}
	case *wire.Message_SequencedResponse:
		for _, sb := range b.SequencedResponse.Batches {
			if sb.Proof != nil {
				d := batch.DigestOf(sb.Batch)
				_ = v.VerifyCerts(d[:], sb.Proof.Certs)
			}
		}
	}
}
