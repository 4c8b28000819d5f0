package ordering

import (
	"crypto/sha256"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// seededKey derives a fixed key from a label, so that fuzz inputs holding
// signatures (a committed corpus) stay valid from one run to the next.
func seededKey(t testing.TB, label string, i int) crypto.PrivateKey {
	seed := sha256.Sum256([]byte(label + string(rune('A'+i))))
	k, err := crypto.KeyFromSeed(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newSeededHarness is newHarness with fixed replica and client keys.
func newSeededHarness(t testing.TB, n, clients int) *harness {
	t.Helper()
	h := &harness{t: t, n: n, now: 1_000_000}
	var pubs []crypto.PublicKey
	for i := range n {
		h.keys = append(h.keys, seededKey(t, "fuzz-replica", i))
		pubs = append(pubs, h.keys[i].Public())
	}
	for i := range clients {
		h.clients = append(h.clients, seededKey(t, "fuzz-client", i))
	}
	com, err := crypto.NewCommittee([]byte("ordering-fuzz"), pubs)
	if err != nil {
		t.Fatal(err)
	}
	h.com, h.f, h.q = com, com.F(), com.Quorum()
	h.tree = &fakeTree{n: n, view: 1, genesis: genesisOf(com)}
	for i := range n {
		h.stores = append(h.stores, storage.NewMem())
		h.start(i)
	}
	return h
}

// fuzzScene is a four-replica harness where one batch got certificates
// from every replica; genuine holds them by replica.
type fuzzScene struct {
	h       *harness
	id      crypto.ClientID
	raw     []byte
	d       batch.Digest
	genuine map[uint32]*wire.TimestampCert
}

func newFuzzScene(t testing.TB) *fuzzScene {
	h := newSeededHarness(t, 4, 1)
	s := &fuzzScene{h: h, id: h.clientID(0), raw: h.newBatch(0, 1)}
	s.d = digestOf(s.raw)
	s.genuine = h.timestamps(s.id, s.raw, all(4))
	if len(s.genuine) != 4 {
		t.Fatalf("only %d certificates", len(s.genuine))
	}
	return s
}

// genuineProof says whether p could only have been built from real
// certificates: 2f+1 of them, distinct replicas, each identical to the one
// that replica issued for this digest, with ts their median.
func (s *fuzzScene) genuineProof(d []byte, ts int64, p *wire.SequenceProof) bool {
	if string(d) != string(s.d[:]) || len(p.GetCerts()) != s.h.q {
		return false
	}
	seen := map[uint32]bool{}
	var vals []int64
	for _, c := range p.Certs {
		if c == nil || seen[c.Replica] || s.genuine[c.Replica] == nil || !proto.Equal(c, s.genuine[c.Replica]) {
			return false
		}
		seen[c.Replica] = true
		vals = append(vals, c.Ts)
	}
	return tsproof.Median(vals, s.h.f) == ts
}

// mutatedRequest builds a sequence request from three genuine
// certificates and edits it as script says, three bytes per edit.
func (s *fuzzScene) mutatedRequest(pick uint8, script []byte, tsDelta int64, withBody bool) *wire.SequenceRequest {
	skip := uint32(pick % 4)
	p := &wire.SequenceProof{}
	var vals []int64
	for r := range uint32(4) {
		if r != skip {
			p.Certs = append(p.Certs, proto.Clone(s.genuine[r]).(*wire.TimestampCert))
			vals = append(vals, s.genuine[r].Ts)
		}
	}
	req := &wire.SequenceRequest{Digest: append([]byte(nil), s.d[:]...), Ts: tsproof.Median(vals, s.h.f) + tsDelta, Proof: p}
	if withBody {
		req.Batch = s.raw
	}
	for len(script) >= 3 {
		which, field, arg := int(script[0]), script[1]%13, script[2]
		script = script[3:]
		if len(p.Certs) == 0 {
			p.Certs = append(p.Certs, proto.Clone(s.genuine[uint32(arg%4)]).(*wire.TimestampCert))
			continue
		}
		c := p.Certs[which%len(p.Certs)]
		if c == nil { // emptied by an earlier edit
			p.Certs[which%len(p.Certs)] = proto.Clone(s.genuine[uint32(arg%4)]).(*wire.TimestampCert)
			continue
		}
		switch field {
		case 0:
			c.Replica = uint32(arg) % 6
		case 1:
			c.Ts += int64(int8(arg))
		case 2:
			if len(c.Root) > 0 {
				c.Root[int(arg)%len(c.Root)] ^= 1 << (arg % 8)
			}
		case 3:
			c.LeafCount = uint32(arg % 8)
		case 4:
			c.Index = uint32(arg % 8)
		case 5:
			if len(c.Path) > 0 {
				c.Path = c.Path[:len(c.Path)-1]
			}
		case 6:
			c.Path = append(c.Path, make([]byte, 32))
		case 7:
			if len(c.Sig) > 0 {
				c.Sig[int(arg)%len(c.Sig)] ^= 1 << (arg % 8)
			}
		case 8:
			p.Certs = append(p.Certs, proto.Clone(s.genuine[uint32(arg%4)]).(*wire.TimestampCert))
		case 9:
			i := which % len(p.Certs)
			p.Certs = append(p.Certs[:i], p.Certs[i+1:]...)
		case 10:
			p.Certs[which%len(p.Certs)] = nil
		case 11:
			req.Digest = req.Digest[:int(arg)%(len(req.Digest)+1)]
		case 12:
			req.Batch = append(append([]byte(nil), req.Batch...), arg)
		}
	}
	return req
}

// FuzzSequenceRequest sends mutated sequence requests to a replica (which
// may have restarted and lost the body): it never panics and never acks a
// request whose proof is not genuine.
func FuzzSequenceRequest(f *testing.F) {
	f.Add(uint8(0), uint8(0), []byte{}, int64(0), true)
	f.Add(uint8(1), uint8(3), []byte{0, 1, 2}, int64(0), true)
	f.Add(uint8(2), uint8(3), []byte{}, int64(0), false)
	f.Add(uint8(3), uint8(1), []byte{1, 8, 3, 0, 9, 0}, int64(0), true)
	f.Add(uint8(0), uint8(2), []byte{0, 7, 5}, int64(1), true)
	f.Add(uint8(0), uint8(0), []byte{2, 11, 31}, int64(0), true)
	f.Fuzz(func(t *testing.T, pick, replica uint8, script []byte, tsDelta int64, withBody bool) {
		s := newFuzzScene(t)
		to := int(replica % 4)
		if replica&4 != 0 {
			s.h.start(to) // a restart: the body is forgotten
		}
		req := s.mutatedRequest(pick, script, tsDelta, withBody)
		want := s.genuineProof(req.Digest, req.Ts, req.Proof)
		for _, m := range s.h.stepClient(to, s.id, &wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: req}}) {
			if a := m.GetSequenceAck(); a != nil && !want {
				t.Fatalf("replica %d acked ts %d for a request whose proof is not genuine", to, a.Ts)
			}
		}
	})
}

// slotScene extends fuzzScene with a batch sequenced at replicas 0..2, the
// collect replies of replicas 0, 1 and 3 for view 6 (led by replica 2), and
// the slot the leader built from them.
type slotScene struct {
	*fuzzScene
	view     uint64
	boundary int64
	ts       int64
	replies  map[uint32]*wire.CollectReply
	payload  []byte
}

func newSlotScene(t testing.TB) *slotScene {
	s := &slotScene{fuzzScene: newFuzzScene(t), view: 6, replies: map[uint32]*wire.CollectReply{}}
	h := s.h
	p, ts := h.proofOf(s.genuine, []uint32{0, 1, 2})
	s.ts = ts
	for i := range 3 {
		if ok, why := h.sequence(i, s.id, s.raw, ts, p); !ok {
			t.Fatalf("replica %d refused a genuine proof: %s", i, why)
		}
	}
	s.boundary = ts + 1
	var list []*wire.CollectReply
	for _, i := range []int{0, 1, 3} { // the leader, 2, answers no one
		r := h.collect(i, s.view, s.boundary)
		if r == nil {
			t.Fatalf("replica %d refused the collect", i)
		}
		s.replies[r.Replica] = r
		list = append(list, r)
	}
	payload, err := h.ords[2].buildSlot(s.boundary, list)
	if err != nil {
		t.Fatal(err)
	}
	s.payload = payload
	return s
}

func (s *slotScene) block(payload []byte) *hotstuff.Block {
	return &hotstuff.Block{Hash: sha256.Sum256(payload), View: s.view, Height: 1, Parent: s.h.tree.genesis.Hash, Proposer: 2, Payload: payload}
}

// genuineSlot says whether a slot could only have been built from what the
// replicas signed: the signed boundary, only the sequenced batch at its
// timestamp, and replies carrying the replicas' own signatures; or whether
// it is a null slot, which keeps the parent's boundary and claims nothing.
func (s *slotScene) genuineSlot(payload []byte) bool {
	var sl wire.Slot
	if proto.Unmarshal(payload, &sl) != nil {
		return false
	}
	if sl.Boundary == s.h.ords[0].boundaryOf(s.h.tree.genesis) && len(sl.Batches) == 0 && len(sl.Replies) == 0 && len(sl.Roots) == 0 {
		return true // a null slot: it claims nothing
	}
	if sl.Boundary != s.boundary {
		return false
	}
	for _, b := range sl.Batches {
		if string(b.Digest) != string(s.d[:]) || b.Ts != s.ts {
			return false
		}
	}
	for _, r := range sl.Replies {
		g := s.replies[r.Replica]
		if g == nil || string(g.Sig) != string(r.Sig) {
			return false
		}
	}
	return true
}

// FuzzValidateSlot hands fuzzed slot payloads (starting from a genuine
// one) to a replica's Validate: it never panics, and never judges Valid a
// slot that does not consist of what the replicas signed.
func FuzzValidateSlot(f *testing.F) {
	s := newSlotScene(f)
	f.Add(s.payload, uint8(0))
	f.Add(s.payload, uint8(3))
	f.Add([]byte{}, uint8(1))
	if v, err := s.h.ords[1].Validate(s.h.now, s.block(s.payload), s.h.tree.genesis); v != hotstuff.Valid {
		f.Fatalf("the genuine slot is %v: %v", v, err)
	}
	f.Fuzz(func(t *testing.T, payload []byte, replica uint8) {
		s := newSlotScene(t)
		to := int(replica % 4)
		v, _ := s.h.ords[to].Validate(s.h.now, s.block(payload), s.h.tree.genesis)
		if v == hotstuff.Valid && !s.genuineSlot(payload) {
			t.Fatalf("replica %d judged a forged slot valid", to)
		}
	})
}

// FuzzOrderingMessages delivers arbitrary replica and client messages to a
// replica that holds sequenced state: it never panics, and a replica never
// acks a sequence request whose proof does not verify unless it had
// already sequenced that digest at that timestamp.
func FuzzOrderingMessages(f *testing.F) {
	s := newSlotScene(f)
	for _, r := range s.replies {
		f.Add(wire.Marshal(&wire.Message{Body: &wire.Message_CollectReply{CollectReply: r}}), uint8(2), false)
	}
	f.Add(wire.Marshal(&wire.Message{Body: &wire.Message_Collect{Collect: &wire.Collect{View: 6, Parent: s.h.tree.genesis.Hash[:], Boundary: s.boundary}}}), uint8(2), false)
	f.Add(wire.Marshal(&wire.Message{Body: &wire.Message_SequencedRequest{SequencedRequest: &wire.SequencedRequest{Digests: [][]byte{s.d[:]}}}}), uint8(1), false)
	p, _ := s.h.proofOf(s.genuine, []uint32{0, 1, 2})
	f.Add(wire.Marshal(&wire.Message{Body: &wire.Message_SequencedResponse{SequencedResponse: &wire.SequencedResponse{Batches: []*wire.SequencedBatch{{Batch: s.raw, Ts: s.ts, Proof: p}}}}}), uint8(0), false)
	f.Add(wire.Marshal(&wire.Message{Body: &wire.Message_BatchResponse{BatchResponse: &wire.BatchResponse{Batches: [][]byte{s.raw}}}}), uint8(0), false)
	f.Add(wire.Marshal(&wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: &wire.SequenceRequest{Digest: s.d[:], Ts: s.ts, Proof: p, Batch: s.raw}}}), uint8(3), true)
	f.Add(wire.Marshal(&wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: s.raw}}}), uint8(3), true)
	f.Fuzz(func(t *testing.T, raw []byte, from uint8, client bool) {
		s := newSlotScene(t)
		h := s.h
		to := int(from/4) % 4
		h.tree.setView(s.view)
		if !client {
			m, err := wire.DecodeMessage(raw)
			if err != nil {
				return
			}
			h.now += 10
			_ = h.ords[to].Step(h.now, uint32(from%4), m)
			h.ords[to].Tick(h.now + 1)
			o := h.drain(to)
			h.persist(to, &o.Writes)
			return
		}
		m, err := wire.DecodeClientMessage(raw)
		if err != nil {
			return
		}
		req := m.GetSequenceRequest()
		verified := req != nil && tsproof.NewVerifier(h.com, 16).VerifyProof(req.Digest, req.Ts, req.Proof) == nil
		already := req != nil && to < 3 && string(req.Digest) == string(s.d[:]) && req.Ts == s.ts
		for _, out := range h.stepClient(to, s.id, m) {
			if a := out.GetSequenceAck(); a != nil && !verified && !already {
				t.Fatalf("replica %d acked ts %d without a valid proof", to, a.Ts)
			}
		}
	})
}
