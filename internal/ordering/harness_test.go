package ordering

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// fakeTree is a block tree with round-robin leaders: genesis plus the
// blocks a test adds, which count as validated; committed marks the ones a
// test committed.
type fakeTree struct {
	n         int
	view      uint64
	genesis   *hotstuff.Block
	blocks    map[hotstuff.Hash]*hotstuff.Block
	committed map[hotstuff.Hash]bool
}

func (t *fakeTree) Block(h hotstuff.Hash) *hotstuff.Block {
	if h == t.genesis.Hash {
		return t.genesis
	}
	return t.blocks[h]
}
func (t *fakeTree) IsCommitted(h hotstuff.Hash) bool          { return h == t.genesis.Hash || t.committed[h] }
func (t *fakeTree) IsValidated(h hotstuff.Hash) bool          { return t.Block(h) != nil }
func (t *fakeTree) View() uint64                              { return t.view }
func (t *fakeTree) Leader(v uint64) uint32                    { return uint32(v % uint64(t.n)) }
func (t *fakeTree) Fetch(int64, hotstuff.Hash, uint32)        {}
func (t *fakeTree) setView(v uint64)                          { t.view = v }
func (t *fakeTree) ViewCert() *wire.Sync                      { return &wire.Sync{} }
func (t *fakeTree) LeaderOn(v uint64, _ hotstuff.Hash) uint32 { return t.Leader(v) }

// CommittedHash is the highest block a test committed (genesis at first).
func (t *fakeTree) CommittedHash() hotstuff.Hash {
	top := t.genesis
	for h := range t.committed {
		if b := t.blocks[h]; b != nil && b.Height > top.Height {
			top = b
		}
	}
	return top.Hash
}

// add makes a block of view on parent with payload and puts it in the tree.
func (t *fakeTree) add(view uint64, parent *hotstuff.Block, payload []byte) *hotstuff.Block {
	if t.blocks == nil {
		t.blocks = make(map[hotstuff.Hash]*hotstuff.Block)
		t.committed = make(map[hotstuff.Hash]bool)
	}
	b := &hotstuff.Block{View: view, Height: parent.Height + 1, Parent: parent.Hash, Proposer: t.Leader(view), Payload: payload}
	b.Hash = sha256.Sum256(append(append(binary.BigEndian.AppendUint64(nil, view), parent.Hash[:]...), payload...))
	t.blocks[b.Hash] = b
	return b
}

func genesisOf(c *crypto.Committee) *hotstuff.Block {
	return &hotstuff.Block{Hash: hotstuff.GenesisHash(c.Cluster())}
}
func digestOf(raw []byte) batch.Digest             { return batch.DigestOf(raw) }
func (h *harness) replica(i int) *Orderer          { return h.ords[i] }
func (h *harness) drain(i int) outbox.Outbox       { o := *h.outs[i]; *h.outs[i] = outbox.Outbox{}; return o }
func (h *harness) persist(i int, w *storage.Batch) { _ = h.stores[i].Apply(w, true) }
func (h *harness) clientID(k int) crypto.ClientID  { return crypto.ClientIDOf(h.clients[k].Public()) }

// harness is n ordering layers sharing a fake tree and a fake clock.
type harness struct {
	t       testing.TB
	n, f, q int
	com     *crypto.Committee
	keys    []crypto.PrivateKey
	clients []crypto.PrivateKey
	tree    *fakeTree
	ords    []*Orderer
	outs    []*outbox.Outbox
	stores  []*storage.Mem
	now     int64
	nonce   uint64
}

func newHarness(t testing.TB, n, clients int) *harness {
	t.Helper()
	h := &harness{t: t, n: n, now: 1_000_000}
	var pubs []crypto.PublicKey
	for i := 0; i < n; i++ {
		k, err := crypto.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		h.keys = append(h.keys, k)
		pubs = append(pubs, k.Public())
	}
	for i := 0; i < clients; i++ {
		k, _ := crypto.GenerateKey(nil)
		h.clients = append(h.clients, k)
	}
	com, err := crypto.NewCommittee([]byte("ordering-test"), pubs)
	if err != nil {
		t.Fatal(err)
	}
	h.com, h.f, h.q = com, com.F(), com.Quorum()
	h.tree = &fakeTree{n: n, view: 1, genesis: genesisOf(com)}
	for i := 0; i < n; i++ {
		h.stores = append(h.stores, storage.NewMem())
		h.start(i)
	}
	return h
}

// start (re)creates replica i's ordering layer from its store.
func (h *harness) start(i int) {
	out := &outbox.Outbox{}
	o, err := New(Config{Self: uint32(i), Committee: h.com, Signer: crypto.NewSigner(h.keys[i], h.com.Cluster()), WindowUs: 0}, h.stores[i], out)
	if err != nil {
		h.t.Fatal(err)
	}
	o.SetTree(h.tree)
	if i < len(h.ords) {
		h.ords[i], h.outs[i] = o, out
	} else {
		h.ords = append(h.ords, o)
		h.outs = append(h.outs, out)
	}
}

// newBatch makes a one-command batch owned by client k.
func (h *harness) newBatch(k int, seq uint64) []byte {
	id := h.clientID(k)
	h.nonce++
	return wire.Marshal(&wire.Batch{Submitter: id[:], Nonce: h.nonce, Commands: []*wire.Command{{ClientId: id[:], Seq: seq, Payload: []byte("x")}}})
}

// stepClient delivers a client message to replica i and returns the client
// messages it answered with (after persisting its writes).
func (h *harness) stepClient(i int, from crypto.ClientID, m *wire.ClientMessage) []*wire.ClientMessage {
	h.now += 10
	if err := h.ords[i].StepClient(h.now, from, m); err != nil {
		_ = err // refusals are answered with messages; the caller checks those
	}
	h.ords[i].Flush() // the turn ends: the signing window closes
	o := h.drain(i)
	h.persist(i, &o.Writes)
	var out []*wire.ClientMessage
	for _, e := range o.Client {
		if e.To == from {
			out = append(out, e.Msg)
		}
	}
	return out
}

// timestamps asks every replica in which for a timestamp of raw and returns
// the valid certificates by replica.
func (h *harness) timestamps(from crypto.ClientID, raw []byte, which []int) map[uint32]*wire.TimestampCert {
	d := digestOf(raw)
	ver := tsproof.NewVerifier(h.com, 64)
	certs := make(map[uint32]*wire.TimestampCert)
	for _, i := range which {
		for _, m := range h.stepClient(i, from, &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: raw}}}) {
			if tr := m.GetTimestampReply(); tr != nil && ver.VerifyCerts(d[:], []*wire.TimestampCert{tr.Cert}) == nil {
				certs[tr.Cert.Replica] = tr.Cert
			}
		}
	}
	return certs
}

// proofOf builds a proof from the certificates of the given replicas.
func (h *harness) proofOf(certs map[uint32]*wire.TimestampCert, use []uint32) (*wire.SequenceProof, int64) {
	p := &wire.SequenceProof{}
	var ts []int64
	for _, r := range use {
		p.Certs = append(p.Certs, certs[r])
		ts = append(ts, certs[r].Ts)
	}
	return p, tsproof.Median(ts, h.f)
}

// sequence sends a sequence request to replica i; it reports ack or reject.
func (h *harness) sequence(i int, from crypto.ClientID, raw []byte, ts int64, p *wire.SequenceProof) (acked bool, reason string) {
	d := digestOf(raw)
	for _, m := range h.stepClient(i, from, &wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: &wire.SequenceRequest{Digest: d[:], Ts: ts, Proof: p, Batch: raw}}}) {
		switch b := m.Body.(type) {
		case *wire.ClientMessage_SequenceAck:
			return b.SequenceAck.Ts == ts, ""
		case *wire.ClientMessage_SequenceReject:
			return false, b.SequenceReject.Reason
		}
	}
	return false, "no answer"
}

// collect sends the leader's collect for (view, genesis, boundary) to
// replica i and returns its signed reply (nil if it refused).
func (h *harness) collect(i int, view uint64, boundary int64) *wire.CollectReply {
	h.tree.setView(view)
	h.now += 10
	leader := h.tree.Leader(view)
	c := &wire.Collect{View: view, Parent: h.tree.genesis.Hash[:], Boundary: boundary}
	_ = h.ords[i].Step(h.now, leader, &wire.Message{Body: &wire.Message_Collect{Collect: c}})
	o := h.drain(i)
	h.persist(i, &o.Writes)
	for _, e := range o.Messages {
		if r := e.Msg.GetCollectReply(); r != nil && e.To == int(leader) {
			if !h.com.VerifyBytes(uint32(i), r.Sig, collectBytes(h.com.Cluster(), r.View, r.Parent, r.Boundary, r.Entries)) {
				h.t.Fatalf("replica %d signed its collect reply wrongly", i)
			}
			return r
		}
	}
	return nil
}

func fmtSet(s []uint32) string { return fmt.Sprint(s) }

// mintProof signs timestamp certificates for (raw, ts) directly with the
// keys of replicas 0..q-1, every one at ts: a valid proof however it was
// obtained (hoarded, or from replicas that lost their memory of the digest).
func (h *harness) mintProof(raw []byte, ts int64) *wire.SequenceProof {
	d := digestOf(raw)
	p := &wire.SequenceProof{}
	for r := 0; r < h.q; r++ {
		leaf := tsproof.Leaf(h.com.Cluster(), uint32(r), d[:], ts)
		tree, err := tsproof.Build([]tsproof.Hash{leaf})
		if err != nil {
			h.t.Fatal(err)
		}
		sig := crypto.NewSigner(h.keys[r], h.com.Cluster()).Sign(crypto.DomainTSRoot, crypto.U32(uint32(r)), tree.Root[:], crypto.U32(1))
		p.Certs = append(p.Certs, &wire.TimestampCert{Replica: uint32(r), Ts: ts, Root: tree.Root[:], LeafCount: 1, Index: 0, Path: tree.Paths[0], Sig: sig})
	}
	return p
}

// signedSlot builds the payload of a block of view on parent with boundary
// whose collect replies (signed by replicas 0..q-1, each listing every
// entry) carry the given proven batches: a slot the replicas' keys vouch
// for, whatever the replicas' state.
func (h *harness) signedSlot(view uint64, parent *hotstuff.Block, boundary int64, batches []sequencedEntry) []byte {
	o := h.ords[h.tree.Leader(view)]
	var entries []*wire.SlotEntry
	for _, b := range batches {
		d := digestOf(b.raw)
		entries = append(entries, &wire.SlotEntry{Digest: d[:], Ts: b.ts})
		e := &entry{d: d, ts: b.ts, raw: b.raw, proof: b.proof}
		o.known[slotEntry{d: d, ts: b.ts}] = e
	}
	var replies []*wire.CollectReply
	for r := 0; r < h.q; r++ {
		sig := crypto.NewSigner(h.keys[r], h.com.Cluster()).Sign(crypto.DomainCollect, crypto.U64(view), parent.Hash[:], crypto.I64(boundary), listBytes(entries))
		replies = append(replies, &wire.CollectReply{View: view, Parent: parent.Hash[:], Boundary: boundary, Replica: uint32(r), Entries: entries, Sig: sig})
	}
	payload, err := o.buildSlot(boundary, replies)
	if err != nil {
		h.t.Fatal(err)
	}
	return payload
}

// sequencedEntry is a batch with a timestamp and its proof.
type sequencedEntry struct {
	raw   []byte
	ts    int64
	proof *wire.SequenceProof
}
