package byzantine

import (
	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
	"github.com/pompe-bft/pompe/pkg/app/kvstore"
)

// impersonation is the state of the impersonate misbehaviour (baseline
// mode, issue 15 finding 5): as leader, the replica adds to its proposals a
// batch it made up in a victim client's name, carrying the victim's next
// sequence number, and serves that body to every replica that fetches it.
// If replicas accepted it, the forged command would execute as the
// victim's, and the victim's real command with that number would later be
// skipped as a duplicate. Correct replicas refuse the block, because the
// body is not signed by the victim's key (batch.CheckSigned).
type impersonation struct {
	victim    crypto.ClientID
	nextSeq   uint64 // the victim's next sequence number, as far as seen
	haveVict  bool
	forged    map[batch.Digest][]byte // bodies proposed, served on request
	forgedSeq uint64                  // nonce of the next forgery
}

// maxForgedBodies bounds the forged bodies kept to serve (oldest dropped).
const maxForgedBodies = 64

// observeVictim learns a victim and its sequence numbers from the Executed
// replies this replica sends to clients.
func (t *Transformer) observeVictim(to crypto.ClientID, m *wire.ClientMessage) {
	ex := m.GetExecuted()
	if ex == nil {
		return
	}
	im := &t.imp
	if !im.haveVict {
		im.victim, im.haveVict = to, true
	}
	if to != im.victim {
		return
	}
	for _, r := range ex.Results {
		if r.Seq >= im.nextSeq {
			im.nextSeq = r.Seq + 1
		}
	}
}

// impersonate adds a forged batch in the victim's name to a baseline
// proposal of this replica, re-signing the proposal.
func (t *Transformer) impersonate(m *wire.Message) *wire.Message {
	p := m.GetProposal()
	im := &t.imp
	if p == nil || p.Block == nil || t.cfg.Pompe || !im.haveVict {
		return m
	}
	if cached, ok := t.rewritten[p]; ok {
		return cached
	}
	var bp wire.BaselinePayload
	if len(p.Payload) > 0 && proto.Unmarshal(p.Payload, &bp) != nil {
		return m
	}
	im.forgedSeq++
	body := wire.Marshal(&wire.Batch{
		Submitter: im.victim[:],
		Nonce:     1<<62 + im.forgedSeq,
		Commands: []*wire.Command{{
			ClientId: im.victim[:],
			Seq:      im.nextSeq,
			Payload:  kvstore.EncodePut([]byte("impersonated"), []byte("by a leader")),
		}},
	})
	d := batch.DigestOf(body)
	if im.forged == nil || len(im.forged) >= maxForgedBodies {
		im.forged = make(map[batch.Digest][]byte)
	}
	im.forged[d] = body
	bp.Digests = append(bp.Digests, d[:])
	alt := proto.Clone(p).(*wire.Proposal)
	alt.Payload = wire.Marshal(&bp)
	out := t.resign(alt)
	t.corrupted++
	t.rewritten = map[*wire.Proposal]*wire.Message{p: out}
	return out
}

// serveForged answers a fetch of a forged body, as an honest replica
// answers a fetch of a real one.
func (t *Transformer) serveForged(from uint32, m *wire.Message) []Envelope {
	r := m.GetBatchRequest()
	if r == nil || len(t.imp.forged) == 0 {
		return nil
	}
	resp := &wire.BatchResponse{}
	for _, raw := range r.Digests {
		d, err := batch.DigestFromBytes(raw)
		if err != nil {
			continue
		}
		if body, ok := t.imp.forged[d]; ok {
			resp.Batches = append(resp.Batches, body)
		}
	}
	if len(resp.Batches) == 0 {
		return nil
	}
	return []Envelope{{To: from, Msg: &wire.Message{Body: &wire.Message_BatchResponse{BatchResponse: resp}}}}
}
