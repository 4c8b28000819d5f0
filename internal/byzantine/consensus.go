package byzantine

import (
	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/wire"
)

// equivocate replaces this leader's proposal, for every odd-numbered
// destination, with a validly signed conflicting block for the same view
// (an empty payload instead of the real one, so a different hash).
func (t *Transformer) equivocate(to uint32, m *wire.Message) *wire.Message {
	p := m.GetProposal()
	if p == nil || p.Block == nil || to%2 == 0 {
		return m
	}
	alt := proto.Clone(p).(*wire.Proposal)
	alt.Payload = []byte{}
	if len(p.Payload) == 0 {
		// Already empty: conflict through a payload naming an unknown batch.
		alt.Payload = wire.Marshal(&wire.BaselinePayload{Digests: [][]byte{make([]byte, 32)}})
	}
	return t.resign(alt)
}

// resign gives a rewritten proposal its payload digest and this replica's
// signature, so that only the protocol's checks can refuse it.
func (t *Transformer) resign(p *wire.Proposal) *wire.Message {
	p.Block.PayloadDigest = hotstuff.PayloadDigest(p.Payload)
	h := hotstuff.HashBlock(t.cfg.Committee.Cluster(), p.Block)
	p.Sig = t.signer.Sign(crypto.DomainProposal, crypto.U64(p.Block.View), h[:])
	return &wire.Message{Body: &wire.Message_Proposal{Proposal: p}}
}

// doubleVote votes for every proposal received, whatever the voting rule
// says, so conflicting blocks of one view both get this replica's vote.
func (t *Transformer) doubleVote(m *wire.Message) []Envelope {
	p := m.GetProposal()
	if p == nil || p.Block == nil {
		return nil
	}
	h := hotstuff.HashBlock(t.cfg.Committee.Cluster(), p.Block)
	sig := t.signer.Sign(crypto.DomainVote, crypto.U64(p.Block.View), h[:])
	v := &wire.Vote{View: p.Block.View, BlockHash: h[:], Voter: t.cfg.Self, Sig: sig}
	next := t.cfg.Leader(p.Block.View + 1)
	if next == t.cfg.Self {
		return nil
	}
	return []Envelope{{To: next, Msg: &wire.Message{Body: &wire.Message_Vote{Vote: v}}}}
}

// garbage derives a hostile message from a real one: undecodable bytes,
// forged signatures, votes for unknown blocks, certificates with bogus
// signer sets, oversized fetch requests, a proposal with a wrong height.
func (t *Transformer) garbage(m *wire.Message) *wire.Message {
	r := t.cfg.Rand
	junk := func(k int) []byte {
		b := make([]byte, k)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	id := t.cfg.Self
	switch r.IntN(7) {
	case 0:
		return Raw(junk(1 + r.IntN(64)))
	case 1:
		return &wire.Message{Body: &wire.Message_Vote{Vote: &wire.Vote{View: r.Uint64N(1 << 20), BlockHash: junk(32), Voter: id, Sig: junk(64)}}}
	case 2:
		return &wire.Message{Body: &wire.Message_Timeout{Timeout: &wire.Timeout{View: r.Uint64N(1 << 20), Voter: id, Sig: junk(64),
			HighQc: &wire.QuorumCert{View: r.Uint64N(1 << 20), BlockHash: junk(32), Signers: junk(1), Sigs: [][]byte{junk(64), junk(64), junk(64)}}}}}
	case 3:
		return &wire.Message{Body: &wire.Message_Sync{Sync: &wire.Sync{Tc: &wire.TimeoutCert{View: r.Uint64N(1 << 30), Signers: []byte{0xff}, Sigs: [][]byte{junk(64)}}}}}
	case 4:
		return &wire.Message{Body: &wire.Message_BlockRequest{BlockRequest: &wire.BlockRequest{Hash: junk(32), MaxAncestors: ^uint32(0)}}}
	case 5:
		return &wire.Message{Body: &wire.Message_BlockResponse{BlockResponse: &wire.BlockResponse{Blocks: []*wire.BlockWithPayload{{
			Block: &wire.Block{View: 5, Height: 3, Parent: junk(32), Justify: &wire.QuorumCert{View: 4, BlockHash: junk(32)}}, Payload: junk(10)}}}}}
	default:
		if p := m.GetProposal(); p != nil && p.Block != nil {
			alt := proto.Clone(p).(*wire.Proposal)
			alt.Block.Height += 7
			return &wire.Message{Body: &wire.Message_Proposal{Proposal: alt}}
		}
		return &wire.Message{Body: &wire.Message_BatchRequest{BatchRequest: &wire.BatchRequest{Digests: [][]byte{junk(32), junk(5)}}}}
	}
}

// Raw is a Message whose encoding is exactly b: b travels as unknown
// fields of an otherwise empty message. It lets arbitrary bytes go through
// any path that sends Messages; a receiver decodes them as it would any
// frame (and drops them if they do not decode to a message with a body).
func Raw(b []byte) *wire.Message {
	m := &wire.Message{}
	m.ProtoReflect().SetUnknown(b)
	return m
}
