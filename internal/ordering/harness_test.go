package ordering

import (
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

// fakeTree is a block tree holding only genesis, with round-robin leaders.
type fakeTree struct {
	n       int
	view    uint64
	genesis *hotstuff.Block
}

func (t *fakeTree) Block(h hotstuff.Hash) *hotstuff.Block {
	if h == t.genesis.Hash {
		return t.genesis
	}
	return nil
}
func (t *fakeTree) IsCommitted(h hotstuff.Hash) bool   { return h == t.genesis.Hash }
func (t *fakeTree) IsValidated(h hotstuff.Hash) bool   { return h == t.genesis.Hash }
func (t *fakeTree) View() uint64                       { return t.view }
func (t *fakeTree) Leader(v uint64) uint32             { return uint32(v % uint64(t.n)) }
func (t *fakeTree) Fetch(int64, hotstuff.Hash, uint32) {}
func (t *fakeTree) setView(v uint64)                   { t.view = v }
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
