package byzantine

import (
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// The attacks of this file once stopped a Pompe cluster from a single
// Byzantine replica (each is refused by a rule of internal/ordering, pinned
// there by a unit test):
//   - far-collect: on every collect it receives, the replica sends every
//     other replica a collect of its own for a view about 2^40 views ahead
//     that it leads, with the same parent and boundary. A replica that kept
//     "answered up to view v" as a high-water mark answered it and ignored
//     every real leader afterwards.
//   - poison-reply: its collect replies also list digests of recent blocks
//     at a fresh timestamp inside the collect's range, so that a leader that
//     takes the reply proposes a slot re-including a chain digest. (Its
//     proofs for them are whatever it can serve; the unit tests cover a
//     reply whose proofs are valid.)
//   - proof-flood: it remembers proven batches (body and proof) that pass
//     through it and, on every collect it receives, pushes all of them to
//     the collecting leader unasked, besides its real answers.
//   - fetch-amplify: on every proposal it receives, it asks every other
//     replica for the body (and the body with proof) of the slot's largest
//     digests, each named 1,024 times in one request. A replica that served
//     every repetition built a response of 1,024 copies (4 GB for a 4 MB
//     batch) and stopped sending to anyone while it did.

// amplify is how many times fetch-amplify names one digest in a request.
const amplify = 1024

// farViews is how far ahead a far-collect is.
const farViews = 1 << 40

// floodMemory bounds the proven batches proof-flood remembers, and
// chainMemory the digests poison-reply remembers.
const (
	floodMemory = 1024
	chainMemory = 256
)

// orderingIn reacts to a received message for the ordering attacks.
func (t *Transformer) orderingIn(from uint32, m *wire.Message) []Envelope {
	switch t.cfg.Kind {
	case FarCollect:
		c := m.GetCollect()
		if c == nil || t.cfg.Leader == nil {
			return nil
		}
		far := c.View + farViews
		for i := 0; i < t.cfg.Committee.N() && t.cfg.Leader(far) != t.cfg.Self; i++ {
			far++
		}
		if t.cfg.Leader(far) != t.cfg.Self {
			return nil
		}
		fc := &wire.Collect{View: far, Parent: c.Parent, Boundary: c.Boundary}
		var out []Envelope
		for i := 0; i < t.cfg.Committee.N(); i++ {
			if uint32(i) != t.cfg.Self {
				out = append(out, Envelope{To: uint32(i), Msg: &wire.Message{Body: &wire.Message_Collect{Collect: fc}}})
			}
		}
		return out
	case PoisonReply:
		if p := m.GetProposal(); p != nil {
			var s wire.Slot
			if proto.Unmarshal(p.Payload, &s) == nil {
				for _, b := range s.Batches {
					t.rememberDigest(b.Digest)
				}
			}
		}
	case FetchAmplify:
		p := m.GetProposal()
		if p == nil {
			return nil
		}
		var digests [][]byte
		var s wire.Slot
		if proto.Unmarshal(p.Payload, &s) == nil && len(s.Batches) > 0 {
			for _, b := range s.Batches {
				digests = append(digests, b.Digest)
			}
		} else {
			var bp wire.BaselinePayload
			if proto.Unmarshal(p.Payload, &bp) == nil {
				digests = bp.Digests
			}
		}
		if len(digests) == 0 {
			return nil
		}
		d := digests[len(digests)-1]
		repeated := make([][]byte, amplify)
		for i := range repeated {
			repeated[i] = d
		}
		var out []Envelope
		for i := 0; i < t.cfg.Committee.N(); i++ {
			if uint32(i) == t.cfg.Self {
				continue
			}
			out = append(out, Envelope{To: uint32(i), Msg: &wire.Message{Body: &wire.Message_BatchRequest{BatchRequest: &wire.BatchRequest{Digests: repeated}}}})
			if t.cfg.Pompe {
				out = append(out, Envelope{To: uint32(i), Msg: &wire.Message{Body: &wire.Message_SequencedRequest{SequencedRequest: &wire.SequencedRequest{Digests: repeated}}}})
			}
		}
		return out
	case ProofFlood:
		if r := m.GetSequencedResponse(); r != nil {
			t.rememberProven(r.Batches)
		}
		if c := m.GetCollect(); c != nil && len(t.proven) > 0 && from != t.cfg.Self {
			resp := &wire.SequencedResponse{Batches: slices.Clone(t.proven)}
			return []Envelope{{To: from, Msg: &wire.Message{Body: &wire.Message_SequencedResponse{SequencedResponse: resp}}}}
		}
	}
	return nil
}

// orderingOut rewrites an outgoing message for the ordering attacks.
func (t *Transformer) orderingOut(m *wire.Message) *wire.Message {
	switch t.cfg.Kind {
	case PoisonReply:
		r := m.GetCollectReply()
		if r == nil || len(t.chain) == 0 {
			return m
		}
		bad := &wire.CollectReply{View: r.View, Parent: r.Parent, Boundary: r.Boundary, Replica: r.Replica}
		bad.Entries = slices.Clone(r.Entries)
		listed := make(map[string]bool, len(r.Entries))
		for _, e := range r.Entries {
			listed[string(e.Digest)] = true
		}
		for _, d := range t.chain {
			if !listed[string(d)] {
				bad.Entries = append(bad.Entries, &wire.SlotEntry{Digest: d, Ts: r.Boundary - 1})
			}
		}
		slices.SortFunc(bad.Entries, func(a, b *wire.SlotEntry) int {
			if a.Ts != b.Ts {
				if a.Ts < b.Ts {
					return -1
				}
				return 1
			}
			return slices.Compare(a.Digest, b.Digest)
		})
		bad.Entries = slices.CompactFunc(bad.Entries, func(a, b *wire.SlotEntry) bool { return a.Ts == b.Ts && string(a.Digest) == string(b.Digest) })
		list := make([]byte, 0, len(bad.Entries)*40)
		for _, e := range bad.Entries {
			list = append(list, e.Digest...)
			list = append(list, crypto.I64(e.Ts)...)
		}
		bad.Sig = t.signer.Sign(crypto.DomainCollect, crypto.U64(bad.View), bad.Parent, crypto.I64(bad.Boundary), list)
		return &wire.Message{Body: &wire.Message_CollectReply{CollectReply: bad}}
	case ProofFlood:
		if r := m.GetSequencedResponse(); r != nil {
			t.rememberProven(r.Batches)
		}
	}
	return m
}

func (t *Transformer) rememberDigest(d []byte) {
	if len(d) != 32 || slices.ContainsFunc(t.chain, func(x []byte) bool { return string(x) == string(d) }) {
		return
	}
	if len(t.chain) >= chainMemory {
		t.chain = t.chain[1:]
	}
	t.chain = append(t.chain, slices.Clone(d))
}

func (t *Transformer) rememberProven(bs []*wire.SequencedBatch) {
	for _, b := range bs {
		if len(t.proven) >= floodMemory {
			t.proven = t.proven[1:]
		}
		t.proven = append(t.proven, b)
	}
}
