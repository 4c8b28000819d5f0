package mempool

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

// fakeTree is a block tree the test builds by hand.
type fakeTree struct {
	blocks    map[hotstuff.Hash]*hotstuff.Block
	committed map[hotstuff.Hash]bool
}

func (f *fakeTree) Block(h hotstuff.Hash) *hotstuff.Block { return f.blocks[h] }
func (f *fakeTree) IsCommitted(h hotstuff.Hash) bool      { return f.committed[h] }

// testCluster is the cluster id the test clients sign for.
var testCluster = []byte("mempool-test")

var (
	aliceKey = keyFromSeed(0xa)
	bobKey   = keyFromSeed(0xb)
	alice    = crypto.ClientIDOf(aliceKey.Public())
	bob      = crypto.ClientIDOf(bobKey.Public())
	keys     = map[crypto.ClientID]crypto.PrivateKey{alice: aliceKey, bob: bobKey}
)

func keyFromSeed(b byte) crypto.PrivateKey {
	k, err := crypto.KeyFromSeed(bytes.Repeat([]byte{b}, crypto.SeedBytes))
	if err != nil {
		panic(err)
	}
	return k
}

type harness struct {
	t       *testing.T
	m       *Mempool
	out     *outbox.Outbox
	store   *storage.Mem
	tree    *fakeTree
	genesis *hotstuff.Block
	nextID  byte
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	if cfg.N == 0 {
		cfg.N = 4
	}
	if cfg.Cluster == nil {
		cfg.Cluster = testCluster
	}
	h := &harness{t: t, out: &outbox.Outbox{}, store: storage.NewMem()}
	g := &hotstuff.Block{Hash: hotstuff.Hash{0xff}}
	h.genesis = g
	h.tree = &fakeTree{blocks: map[hotstuff.Hash]*hotstuff.Block{g.Hash: g}, committed: map[hotstuff.Hash]bool{g.Hash: true}}
	h.m = New(cfg, h.store, h.out)
	h.m.SetTree(h.tree)
	return h
}

// raw builds a batch of client c with commands numbered seqs, signed by c.
func raw(c crypto.ClientID, nonce uint64, seqs ...uint64) []byte {
	return batch.Sign(unsigned(c, nonce, seqs...), keys[c], testCluster)
}

// unsigned builds a batch of client c with commands numbered seqs.
func unsigned(c crypto.ClientID, nonce uint64, seqs ...uint64) *wire.Batch {
	b := &wire.Batch{Submitter: append([]byte(nil), c[:]...), Nonce: nonce}
	for _, s := range seqs {
		b.Commands = append(b.Commands, &wire.Command{ClientId: append([]byte(nil), c[:]...), Seq: s, Payload: []byte("p")})
	}
	return b
}

func payload(ds ...batch.Digest) []byte {
	if len(ds) == 0 {
		return nil
	}
	bp := &wire.BaselinePayload{}
	for _, d := range ds {
		bp.Digests = append(bp.Digests, append([]byte(nil), d[:]...))
	}
	return wire.Marshal(bp)
}

// block adds a block on parent to the tree.
func (h *harness) block(parent *hotstuff.Block, proposer uint32, p []byte) *hotstuff.Block {
	h.nextID++
	b := &hotstuff.Block{
		Hash: hotstuff.Hash{h.nextID}, View: parent.View + 1, Height: parent.Height + 1,
		Parent: parent.Hash, Proposer: proposer, Payload: p,
	}
	h.tree.blocks[b.Hash] = b
	return b
}

// commit marks b committed in the tree and tells the pool.
func (h *harness) commit(b *hotstuff.Block) {
	h.tree.committed[b.Hash] = true
	h.m.Committed(b)
}

// drain takes the outbox's effects, applying its writes to the store.
func (h *harness) drain() outbox.Outbox {
	h.t.Helper()
	o := *h.out
	*h.out = outbox.Outbox{}
	if !o.Writes.Empty() {
		if err := h.store.Apply(&o.Writes, true); err != nil {
			h.t.Fatal(err)
		}
	}
	return o
}

func (h *harness) submit(now int64, c crypto.ClientID, r []byte) batch.Digest {
	h.t.Helper()
	if err := h.m.Submit(now, c, r); err != nil {
		h.t.Fatalf("submit: %v", err)
	}
	return batch.DigestOf(r)
}

func decodeDigests(t *testing.T, p []byte) []batch.Digest {
	t.Helper()
	ds, err := decodePayload(p)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// requests lists the batch requests in o as "to:digest-shorts".
func requests(o outbox.Outbox) []string {
	var out []string
	for _, e := range o.Messages {
		if r := e.Msg.GetBatchRequest(); r != nil {
			s := fmt.Sprint(e.To, ":")
			for _, d := range r.Digests {
				s += fmt.Sprintf("%x,", d[:2])
			}
			out = append(out, s)
		}
	}
	return out
}

func reqString(to int, ds ...batch.Digest) string {
	s := fmt.Sprint(to, ":")
	for _, d := range ds {
		s += fmt.Sprintf("%x,", d[:2])
	}
	return s
}

func hasPut(w storage.Batch, key []byte) bool {
	for _, op := range w.Ops {
		if op.Kind == storage.OpPut && bytes.Equal(op.Key, key) {
			return true
		}
	}
	return false
}

// bodyKey is package bodies' key of a stored body.
func bodyKey(d batch.Digest) []byte { return storage.Key('P', d[:]) }
