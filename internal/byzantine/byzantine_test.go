package byzantine

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// fixture is a committee of n replicas with real keys.
type fixture struct {
	keys []crypto.PrivateKey
	com  *crypto.Committee
}

func newFixture(t *testing.T, n int) *fixture {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	f := &fixture{}
	var pubs []crypto.PublicKey
	for range n {
		k, err := crypto.GenerateKey(readerOf(r))
		if err != nil {
			t.Fatal(err)
		}
		f.keys = append(f.keys, k)
		pubs = append(pubs, k.Public())
	}
	com, err := crypto.NewCommittee([]byte("byz-test"), pubs)
	if err != nil {
		t.Fatal(err)
	}
	f.com = com
	return f
}

type randReader struct{ r *rand.Rand }

func (s randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(s.r.Uint32())
	}
	return len(p), nil
}

func readerOf(r *rand.Rand) randReader { return randReader{r} }

func (f *fixture) transformer(t *testing.T, kind Kind, self uint32, pompe bool) *Transformer {
	t.Helper()
	tr, err := New(Config{Kind: kind, Self: self, Key: f.keys[self], Committee: f.com, Pompe: pompe,
		Leader: func(v uint64) uint32 { return uint32(v % uint64(f.com.N())) }, Rand: rand.New(rand.NewPCG(3, 4))})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func digest(i int) []byte {
	d := sha256.Sum256([]byte{byte(i)})
	return d[:]
}

// proposal is a signed proposal of view 9 by replica self carrying payload.
func (f *fixture) proposal(self uint32, payload []byte) *wire.Message {
	b := &wire.Block{View: 9, Height: 5, Parent: digest(99), Proposer: self, Justify: &wire.QuorumCert{View: 8, BlockHash: digest(99)}}
	p := &wire.Proposal{Block: b, Payload: payload}
	return (&Transformer{cfg: Config{Committee: f.com}, signer: crypto.NewSigner(f.keys[self], f.com.Cluster())}).resign(p)
}

func pompeSlot() *wire.Slot {
	s := &wire.Slot{Boundary: 1000}
	for i := range 3 {
		s.Batches = append(s.Batches, &wire.SlotBatch{Digest: digest(i), Ts: int64(100 + i)})
	}
	for r := range 3 {
		bm := crypto.NewBitmap(3)
		bm.Set(r)
		s.Replies = append(s.Replies, &wire.CompactReply{Replica: uint32(r), Entries: bm})
	}
	return s
}

// proposalOK checks a proposal's signature and payload digest.
func (f *fixture) proposalOK(p *wire.Proposal) bool {
	if !bytes.Equal(p.Block.PayloadDigest, hotstuff.PayloadDigest(p.Payload)) {
		return false
	}
	h := hotstuff.HashBlock(f.com.Cluster(), p.Block)
	return f.com.Verify(p.Block.Proposer, p.Sig, crypto.DomainProposal, crypto.U64(p.Block.View), h[:])
}

func slotOf(t *testing.T, m *wire.Message) *wire.Slot {
	t.Helper()
	var s wire.Slot
	if err := proto.Unmarshal(m.GetProposal().Payload, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func TestParse(t *testing.T) {
	for _, k := range Kinds {
		if got, err := Parse(string(k)); err != nil || got != k {
			t.Errorf("Parse(%q) = %q, %v", k, got, err)
		}
	}
	for _, bad := range []string{"", "Silent", "ts", "reverse"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	f := newFixture(t, 4)
	for name, c := range map[string]Config{
		"unknown kind":         {Kind: "x", Committee: f.com},
		"no committee":         {Kind: Silent},
		"self outside":         {Kind: Silent, Self: 4, Committee: f.com},
		"doublevote no leader": {Kind: DoubleVote, Committee: f.com},
		"garbage no rand":      {Kind: Garbage, Committee: f.com},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestLeaderMisbehaviours checks what each kind does to a leader's Pompe
// proposal and that the rewrite is still validly signed.
func TestLeaderMisbehaviours(t *testing.T) {
	f := newFixture(t, 4)
	orig := pompeSlot()
	cases := []struct {
		kind    Kind
		changed bool
		check   func(t *testing.T, s *wire.Slot)
	}{
		{Omit, true, func(t *testing.T, s *wire.Slot) {
			if len(s.Batches) != 2 {
				t.Fatalf("%d batches, want 2", len(s.Batches))
			}
			for _, r := range s.Replies {
				if crypto.Bitmap(r.Entries).Has(2) {
					t.Fatal("a reply still lists the omitted batch")
				}
			}
		}},
		{Reorder, true, func(t *testing.T, s *wire.Slot) {
			if s.Batches[0].Ts != 102 || s.Batches[2].Ts != 100 {
				t.Fatalf("not swapped: %v", s.Batches)
			}
		}},
		{ReverseOrder, true, func(t *testing.T, s *wire.Slot) {
			if s.Batches[0].Ts != 102 {
				t.Fatalf("not reordered: %v", s.Batches)
			}
		}},
		{Invent, true, func(t *testing.T, s *wire.Slot) {
			if s.Batches[0].Ts != 101 {
				t.Fatalf("ts %d, want 101", s.Batches[0].Ts)
			}
		}},
		{Future, true, func(t *testing.T, s *wire.Slot) {
			if s.Boundary != 1000+FutureBoundaryUs {
				t.Fatalf("boundary %d", s.Boundary)
			}
		}},
		{CollectF1, false, nil},
		{ReverseTS, false, nil},
	}
	for _, tc := range cases {
		t.Run(string(tc.kind), func(t *testing.T) {
			tr := f.transformer(t, tc.kind, 0, true)
			m := f.proposal(0, wire.Marshal(orig))
			out := tr.Out(1, m)
			if len(out) != 1 {
				t.Fatalf("%d messages, want 1", len(out))
			}
			if !tc.changed {
				if out[0] != m {
					t.Fatal("proposal changed")
				}
				return
			}
			if out[0] == m || !f.proposalOK(out[0].GetProposal()) {
				t.Fatal("rewrite missing or not validly signed")
			}
			tc.check(t, slotOf(t, out[0]))
			// Every replica gets the same rewrite of one broadcast.
			if again := tr.Out(2, m); again[0] != out[0] {
				t.Fatal("a second destination got a different rewrite")
			}
			if tr.Corrupted() != 1 {
				t.Fatalf("corrupted %d, want 1", tr.Corrupted())
			}
		})
	}
}

func TestFutureCollect(t *testing.T) {
	f := newFixture(t, 4)
	tr := f.transformer(t, Future, 0, true)
	c := &wire.Message{Body: &wire.Message_Collect{Collect: &wire.Collect{View: 3, Parent: digest(1), Boundary: 500}}}
	out := tr.Out(1, c)
	if got := out[0].GetCollect().Boundary; got != 500+FutureBoundaryUs {
		t.Fatalf("boundary %d", got)
	}
	if c.GetCollect().Boundary != 500 {
		t.Fatal("the original collect was modified")
	}
}

func TestReverseOrderBaseline(t *testing.T) {
	f := newFixture(t, 4)
	tr := f.transformer(t, ReverseOrder, 0, false)
	ds := [][]byte{digest(1), digest(2), digest(3)}
	m := f.proposal(0, wire.Marshal(&wire.BaselinePayload{Digests: ds}))
	out := tr.Out(3, m)[0]
	if !f.proposalOK(out.GetProposal()) {
		t.Fatal("not validly signed")
	}
	var bp wire.BaselinePayload
	if err := proto.Unmarshal(out.GetProposal().Payload, &bp); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(ds)
	slices.Reverse(want)
	for i := range want {
		if !bytes.Equal(bp.Digests[i], want[i]) {
			t.Fatalf("digest %d not reversed", i)
		}
	}
	// A one-batch block has no order to reverse.
	single := f.proposal(0, wire.Marshal(&wire.BaselinePayload{Digests: ds[:1]}))
	if tr.Out(1, single)[0] != single {
		t.Fatal("a one-batch block was rewritten")
	}
}

func TestEquivocate(t *testing.T) {
	f := newFixture(t, 4)
	tr := f.transformer(t, Equivocate, 0, true)
	for _, payload := range [][]byte{wire.Marshal(pompeSlot()), nil} {
		m := f.proposal(0, payload)
		even, odd := tr.Out(2, m)[0], tr.Out(1, m)[0]
		if even != m {
			t.Fatal("even destination got a rewrite")
		}
		p := odd.GetProposal()
		if odd == m || !f.proposalOK(p) {
			t.Fatal("odd destination: no validly signed conflicting proposal")
		}
		if p.Block.View != m.GetProposal().Block.View || bytes.Equal(p.Block.PayloadDigest, m.GetProposal().Block.PayloadDigest) {
			t.Fatal("not a conflicting block of the same view")
		}
	}
}

func TestSilent(t *testing.T) {
	f := newFixture(t, 4)
	tr := f.transformer(t, Silent, 0, true)
	if out := tr.Out(1, f.proposal(0, nil)); len(out) != 0 {
		t.Fatal("silent sent a replica message")
	}
	cm := &wire.ClientMessage{Body: &wire.ClientMessage_Executed{Executed: &wire.Executed{Digest: digest(1)}}}
	if tr.Client(crypto.ClientID{}, cm) != nil {
		t.Fatal("silent sent a client message")
	}
}

func TestDoubleVote(t *testing.T) {
	f := newFixture(t, 4)
	tr := f.transformer(t, DoubleVote, 3, true)
	m := f.proposal(0, nil)
	out := tr.In(0, m)
	if len(out) != 1 || out[0].To != 10%4 {
		t.Fatalf("votes %v, want one to the leader of view 10", out)
	}
	v := out[0].Msg.GetVote()
	h := hotstuff.HashBlock(f.com.Cluster(), m.GetProposal().Block)
	if v.Voter != 3 || !bytes.Equal(v.BlockHash, h[:]) || !f.com.Verify(3, v.Sig, crypto.DomainVote, crypto.U64(v.View), h[:]) {
		t.Fatal("vote not validly signed for the proposal")
	}
	if got := tr.Out(1, m); got[0] != m {
		t.Fatal("doublevote changed an outgoing message")
	}
}

func TestGarbage(t *testing.T) {
	f := newFixture(t, 4)
	tr := f.transformer(t, Garbage, 0, true)
	m := f.proposal(0, wire.Marshal(pompeSlot()))
	extra, undecodable := 0, 0
	for range 300 {
		out := tr.Out(1, m)
		if out[len(out)-1] != m {
			t.Fatal("the real message is not sent last")
		}
		if len(out) == 2 {
			extra++
			if _, err := wire.DecodeMessage(wire.Marshal(out[0])); err != nil {
				undecodable++
			}
		}
	}
	if extra == 0 || undecodable == 0 || undecodable == extra {
		t.Fatalf("%d garbage messages, %d undecodable: want some of each", extra, undecodable)
	}
	junk := []byte{0xff, 0x01, 0x02}
	if got := wire.Marshal(Raw(junk)); !bytes.Equal(got, junk) {
		t.Fatalf("Raw encodes as %x, want %x", got, junk)
	}
}

func TestCollectF1(t *testing.T) {
	f := newFixture(t, 7) // f = 2
	tr := f.transformer(t, CollectF1, 0, true)
	if got := tr.Ignored(); !slices.Equal(got, []uint32{6, 5}) {
		t.Fatalf("ignored %v, want [6 5]", got)
	}
	c := &wire.Message{Body: &wire.Message_Collect{Collect: &wire.Collect{View: 3, Boundary: 500}}}
	for to := uint32(1); to < 7; to++ {
		out := tr.Out(to, c)
		if ignored := to >= 5; ignored != (len(out) == 0) {
			t.Fatalf("collect to %d: %d messages", to, len(out))
		}
	}
	tr2, err := New(Config{Kind: CollectF1, Self: 6, Key: f.keys[6], Committee: f.com, Colluders: []uint32{5}})
	if err != nil {
		t.Fatal(err)
	}
	if got := tr2.Ignored(); !slices.Equal(got, []uint32{4, 3}) {
		t.Fatalf("ignored %v, want [4 3]: never itself nor a colluder", got)
	}
}

// tsReply is replica self's validly signed timestamp reply for digest d.
func (f *fixture) tsReply(self uint32, d []byte, ts int64) *wire.ClientMessage {
	leaf := tsproof.Leaf(f.com.Cluster(), self, d, ts)
	tree, _ := tsproof.Build([]tsproof.Hash{leaf})
	sig := crypto.NewSigner(f.keys[self], f.com.Cluster()).Sign(crypto.DomainTSRoot, crypto.U32(self), tree.Root[:], crypto.U32(1))
	cert := &wire.TimestampCert{Replica: self, Ts: ts, Root: tree.Root[:], LeafCount: 1, Sig: sig}
	return &wire.ClientMessage{Body: &wire.ClientMessage_TimestampReply{TimestampReply: &wire.TimestampReply{Digest: d, Cert: cert}}}
}

func TestTimestampLies(t *testing.T) {
	f := newFixture(t, 4)
	const real = int64(5_000_000_000)
	victim, bystander := crypto.ClientID{1}, crypto.ClientID{2}
	cases := []struct {
		kind   Kind
		client crypto.ClientID
		want   int64
	}{
		{TSPast, victim, real - FarUs},
		{TSFuture, victim, real + FarUs},
		{DelayTS, victim, real + DefaultDelayUs},
		{DelayTS, bystander, real},
		{ReverseTS, victim, real},
		{Omit, victim, real},
	}
	for _, tc := range cases {
		t.Run(string(tc.kind), func(t *testing.T) {
			tr, err := New(Config{Kind: tc.kind, Self: 1, Key: f.keys[1], Committee: f.com, Targets: []crypto.ClientID{victim}})
			if err != nil {
				t.Fatal(err)
			}
			d := digest(7)
			out := tr.Client(tc.client, f.tsReply(1, d, real)).GetTimestampReply()
			if out.Cert.Ts != tc.want {
				t.Fatalf("ts %d, want %d", out.Cert.Ts, tc.want)
			}
			if err := tsproof.NewVerifier(f.com, 16).VerifyCerts(d, []*wire.TimestampCert{out.Cert}); err != nil {
				t.Fatalf("lie not validly signed: %v", err)
			}
		})
	}
}

func TestTSLieAlternates(t *testing.T) {
	f := newFixture(t, 4)
	tr := f.transformer(t, TSLie, 1, true)
	for i := range 8 {
		d := digest(i)
		got := tr.Client(crypto.ClientID{}, f.tsReply(1, d, FarUs*2)).GetTimestampReply().Cert.Ts
		want := int64(3 * FarUs)
		if d[0]%2 == 0 {
			want = FarUs
		}
		if got != want {
			t.Fatalf("digest %x: ts %d, want %d", d[:2], got, want)
		}
	}
}

// TestReverseTS pins reverse-ts: later requests get strictly smaller
// timestamps, a repeat gets its earlier one, all validly signed and
// positive.
func TestReverseTS(t *testing.T) {
	f := newFixture(t, 4)
	tr := f.transformer(t, ReverseTS, 2, true)
	ver := tsproof.NewVerifier(f.com, 64)
	prev := int64(1 << 62)
	for i := range 20 {
		d := digest(i)
		cert := tr.Client(crypto.ClientID{}, f.tsReply(2, d, int64(1000+i*100))).GetTimestampReply().Cert
		if cert.Ts >= prev || cert.Ts < 1 {
			t.Fatalf("request %d: ts %d after %d", i, cert.Ts, prev)
		}
		if err := ver.VerifyCerts(d, []*wire.TimestampCert{cert}); err != nil {
			t.Fatal(err)
		}
		prev = cert.Ts
	}
	again := tr.Client(crypto.ClientID{}, f.tsReply(2, digest(3), 9999)).GetTimestampReply().Cert.Ts
	if again != 1000-3 {
		t.Fatalf("repeat got %d, want its first lie %d", again, 1000-3)
	}
	// Near zero the lies stop at 1, the smallest a client accepts.
	low := f.transformer(t, ReverseTS, 2, true)
	for i := range 4 {
		if ts := low.Client(crypto.ClientID{}, f.tsReply(2, digest(i), 2)).GetTimestampReply().Cert.Ts; ts < 1 {
			t.Fatalf("ts %d", ts)
		}
	}
}

// TestDelayTSDefaultTargets: without a target list, about half the
// clients are delayed, by a fixed rule.
func TestDelayTSDefaultTargets(t *testing.T) {
	f := newFixture(t, 4)
	tr := f.transformer(t, DelayTS, 1, true)
	delayed := 0
	for i := range 64 {
		c := crypto.ClientID{byte(i), 7}
		if tr.Client(c, f.tsReply(1, digest(i), 1000)).GetTimestampReply().Cert.Ts != 1000 {
			delayed++
		}
	}
	if delayed == 0 || delayed == 64 {
		t.Fatalf("%d of 64 clients delayed", delayed)
	}
}

// TestUntouchedMessages: messages a kind has nothing to do with pass
// through as the same pointer.
func TestUntouchedMessages(t *testing.T) {
	f := newFixture(t, 4)
	vote := &wire.Message{Body: &wire.Message_Vote{Vote: &wire.Vote{View: 1}}}
	exec := &wire.ClientMessage{Body: &wire.ClientMessage_Executed{Executed: &wire.Executed{Digest: digest(1)}}}
	for _, k := range Kinds {
		if k == Silent || k == Garbage {
			continue
		}
		tr := f.transformer(t, k, 0, true)
		if out := tr.Out(1, vote); len(out) != 1 || out[0] != vote {
			t.Errorf("%s changed a vote", k)
		}
		if tr.Client(crypto.ClientID{}, exec) != exec {
			t.Errorf("%s changed an execution reply", k)
		}
	}
}
