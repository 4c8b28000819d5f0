package sim

import (
	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// equivocate replaces this leader's proposal, for every odd-numbered
// destination, with a validly signed conflicting block for the same view
// (an empty payload instead of the real one, so a different hash).
func (n *simNode) equivocate(to uint32, m *wire.Message) *wire.Message {
	p := m.GetProposal()
	if p == nil || to%2 == 0 {
		return m
	}
	alt := proto.Clone(p).(*wire.Proposal)
	alt.Payload = []byte{}
	alt.Block.PayloadDigest = hotstuff.PayloadDigest(alt.Payload)
	if len(p.Payload) == 0 {
		// Already empty: conflict through the proposer field's neighbour, the
		// height stays, so vary the payload with an unknown digest list.
		alt.Payload = wire.Marshal(&wire.BaselinePayload{Digests: [][]byte{make([]byte, 32)}})
		alt.Block.PayloadDigest = hotstuff.PayloadDigest(alt.Payload)
	}
	cluster := n.c.committee.Cluster()
	h := hotstuff.HashBlock(cluster, alt.Block)
	alt.Sig = crypto.NewSigner(n.key, cluster).Sign(crypto.DomainProposal, crypto.U64(alt.Block.View), h[:])
	return &wire.Message{Body: &wire.Message_Proposal{Proposal: alt}}
}

// doubleVote votes for every proposal it receives, whatever the voting rule
// says, so conflicting blocks of one view both get its vote.
func (n *simNode) doubleVote(m *wire.Message) {
	p := m.GetProposal()
	if p == nil || p.Block == nil {
		return
	}
	h := hotstuff.HashBlock(n.c.committee.Cluster(), p.Block)
	sig := crypto.NewSigner(n.key, n.c.committee.Cluster()).Sign(crypto.DomainVote, crypto.U64(p.Block.View), h[:])
	v := &wire.Vote{View: p.Block.View, BlockHash: h[:], Voter: n.id, Sig: sig}
	next := n.r.Core().Leader(p.Block.View + 1)
	if next != n.id {
		n.c.transmitBytes(n.id, next, wire.Marshal(&wire.Message{Body: &wire.Message_Vote{Vote: v}}))
	}
}

// garbage derives a hostile message from a real one: undecodable bytes,
// forged signatures, votes for unknown blocks, certificates with bogus
// signer sets, oversized fetch requests.
func (n *simNode) garbage(m *wire.Message) []byte {
	r := n.c.rng
	junk := func(k int) []byte {
		b := make([]byte, k)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	var g *wire.Message
	switch r.IntN(7) {
	case 0:
		return junk(1 + r.IntN(64))
	case 1:
		g = &wire.Message{Body: &wire.Message_Vote{Vote: &wire.Vote{View: r.Uint64N(1 << 20), BlockHash: junk(32), Voter: n.id, Sig: junk(64)}}}
	case 2:
		g = &wire.Message{Body: &wire.Message_Timeout{Timeout: &wire.Timeout{View: r.Uint64N(1 << 20), Voter: n.id, Sig: junk(64),
			HighQc: &wire.QuorumCert{View: r.Uint64N(1 << 20), BlockHash: junk(32), Signers: junk(1), Sigs: [][]byte{junk(64), junk(64), junk(64)}}}}}
	case 3:
		g = &wire.Message{Body: &wire.Message_Sync{Sync: &wire.Sync{Tc: &wire.TimeoutCert{View: r.Uint64N(1 << 30), Signers: []byte{0xff}, Sigs: [][]byte{junk(64)}}}}}
	case 4:
		g = &wire.Message{Body: &wire.Message_BlockRequest{BlockRequest: &wire.BlockRequest{Hash: junk(32), MaxAncestors: ^uint32(0)}}}
	case 5:
		g = &wire.Message{Body: &wire.Message_BlockResponse{BlockResponse: &wire.BlockResponse{Blocks: []*wire.BlockWithPayload{{
			Block: &wire.Block{View: 5, Height: 3, Parent: junk(32), Justify: &wire.QuorumCert{View: 4, BlockHash: junk(32)}}, Payload: junk(10)}}}}}
	default:
		if p := m.GetProposal(); p != nil {
			alt := proto.Clone(p).(*wire.Proposal)
			alt.Block.Height += 7
			g = &wire.Message{Body: &wire.Message_Proposal{Proposal: alt}}
		} else {
			g = &wire.Message{Body: &wire.Message_BatchRequest{BatchRequest: &wire.BatchRequest{Digests: [][]byte{junk(32), junk(5)}}}}
		}
	}
	return wire.Marshal(g)
}

// lieTimestamp replaces a timestamp reply with a validly signed one for a
// timestamp far in the past or the future (alternating by digest).
func (n *simNode) lieTimestamp(m *wire.ClientMessage) *wire.ClientMessage {
	tr := m.GetTimestampReply()
	if tr == nil || tr.Cert == nil || len(tr.Digest) == 0 {
		return m
	}
	lie := tr.Cert.Ts + 1_000_000_000
	if tr.Digest[0]%2 == 0 {
		lie = tr.Cert.Ts - 1_000_000_000
	}
	cluster := n.c.committee.Cluster()
	leaf := tsproof.Leaf(cluster, n.id, tr.Digest, lie)
	tree, _ := tsproof.Build([]tsproof.Hash{leaf})
	sig := crypto.NewSigner(n.key, cluster).Sign(crypto.DomainTSRoot, crypto.U32(n.id), tree.Root[:], crypto.U32(1))
	cert := &wire.TimestampCert{Replica: n.id, Ts: lie, Root: tree.Root[:], LeafCount: 1, Sig: sig}
	return &wire.ClientMessage{Body: &wire.ClientMessage_TimestampReply{TimestampReply: &wire.TimestampReply{Digest: tr.Digest, Cert: cert}}}
}

// corruptSlot rewrites this leader's proposals (and, for Future, its
// collects) according to its behaviour, re-signing them so that only the
// protocol checks, not the signature, can catch the lie.
func (n *simNode) corruptSlot(m *wire.Message) *wire.Message {
	if c := m.GetCollect(); c != nil && n.behavior == Future {
		alt := proto.Clone(c).(*wire.Collect)
		alt.Boundary += 10_000_000
		return &wire.Message{Body: &wire.Message_Collect{Collect: alt}}
	}
	p := m.GetProposal()
	if p == nil {
		return m
	}
	if cached, ok := n.rewritten[p]; ok {
		return cached
	}
	var s wire.Slot
	if proto.Unmarshal(p.Payload, &s) != nil {
		return m
	}
	changed := false
	switch n.behavior {
	case Omit:
		if k := len(s.Batches); k > 0 {
			s.Batches = s.Batches[:k-1]
			for _, r := range s.Replies {
				bm := crypto.NewBitmap(k - 1)
				for i := 0; i < k-1; i++ {
					if crypto.Bitmap(r.Entries).Has(i) {
						bm.Set(i)
					}
				}
				r.Entries = bm
			}
			changed = true
		}
	case Reorder:
		if k := len(s.Batches); k > 1 {
			s.Batches[0], s.Batches[k-1] = s.Batches[k-1], s.Batches[0]
			changed = true
		}
	case Invent:
		if len(s.Batches) > 0 {
			s.Batches[0].Ts++
			changed = true
		}
	case Future:
		s.Boundary += 10_000_000
		changed = true
	}
	out := m
	if changed {
		alt := proto.Clone(p).(*wire.Proposal)
		alt.Payload = wire.Marshal(&s)
		alt.Block.PayloadDigest = hotstuff.PayloadDigest(alt.Payload)
		cluster := n.c.committee.Cluster()
		h := hotstuff.HashBlock(cluster, alt.Block)
		alt.Sig = crypto.NewSigner(n.key, cluster).Sign(crypto.DomainProposal, crypto.U64(alt.Block.View), h[:])
		out = &wire.Message{Body: &wire.Message_Proposal{Proposal: alt}}
		n.c.corrupted++
	}
	n.rewritten = map[*wire.Proposal]*wire.Message{p: out}
	return out
}
