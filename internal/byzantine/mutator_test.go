package byzantine

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

func (f *fixture) mutator(t *testing.T, self uint32, rate float64, seed uint64, enabled ...Mutation) *Mutator {
	t.Helper()
	m, err := NewMutator(MutatorConfig{Self: self, Key: f.keys[self], Committee: f.com, Rate: rate, Enabled: enabled,
		Rand: rand.New(rand.NewPCG(seed, 9))})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// signedMessages are messages replica self signs, one of each kind a
// mutator re-signs, plus unsigned ones it rewrites.
func (f *fixture) signedMessages(self uint32) []*wire.Message {
	signer := crypto.NewSigner(f.keys[self], f.com.Cluster())
	h := digest(50)
	vote := &wire.Vote{View: 9, BlockHash: h, Voter: self, Sig: signer.Sign(crypto.DomainVote, crypto.U64(9), h)}
	tmo := &wire.Timeout{View: 9, Voter: self, Sig: signer.Sign(crypto.DomainTimeout, crypto.U64(9)), HighQc: &wire.QuorumCert{View: 8, BlockHash: h}}
	entries := []*wire.SlotEntry{{Digest: digest(1), Ts: 100}, {Digest: digest(2), Ts: 200}}
	var list []byte
	for _, e := range entries {
		list = append(list, e.Digest...)
		list = append(list, crypto.I64(e.Ts)...)
	}
	rep := &wire.CollectReply{View: 9, Parent: h, Boundary: 1000, Entries: entries, Replica: self,
		Sig: signer.Sign(crypto.DomainCollect, crypto.U64(9), h, crypto.I64(1000), list)}
	return []*wire.Message{
		f.proposal(self, wire.Marshal(pompeSlot())),
		f.proposal(self, wire.Marshal(&wire.BaselinePayload{Digests: [][]byte{digest(1), digest(2), digest(3)}})),
		{Body: &wire.Message_Vote{Vote: vote}},
		{Body: &wire.Message_Timeout{Timeout: tmo}},
		{Body: &wire.Message_CollectReply{CollectReply: rep}},
		{Body: &wire.Message_Collect{Collect: &wire.Collect{View: 9, Parent: h, Boundary: 1000}}},
		{Body: &wire.Message_SequencedRequest{SequencedRequest: &wire.SequencedRequest{Digests: [][]byte{digest(1), digest(2)}}}},
	}
}

// signatureOK checks the signature of whatever replica self signed in m.
func (f *fixture) signatureOK(self uint32, m *wire.Message) bool {
	switch b := m.Body.(type) {
	case *wire.Message_Proposal:
		return f.proposalOK(b.Proposal)
	case *wire.Message_Vote:
		return f.com.Verify(self, b.Vote.Sig, crypto.DomainVote, crypto.U64(b.Vote.View), b.Vote.BlockHash)
	case *wire.Message_Timeout:
		return f.com.Verify(self, b.Timeout.Sig, crypto.DomainTimeout, crypto.U64(b.Timeout.View))
	case *wire.Message_CollectReply:
		c := b.CollectReply
		var list []byte
		for _, e := range c.Entries {
			list = append(list, e.Digest...)
			list = append(list, crypto.I64(e.Ts)...)
		}
		return f.com.Verify(self, c.Sig, crypto.DomainCollect, crypto.U64(c.View), c.Parent, crypto.I64(c.Boundary), list)
	}
	return true // unsigned: authenticated by the channel
}

// TestMutatorRewritesAreSigned: every rewrite class changes the message,
// leaves the original alone, and carries a valid signature of the
// replica, so only the protocol's checks can refuse it.
func TestMutatorRewritesAreSigned(t *testing.T) {
	f := newFixture(t, 4)
	const self = 3
	delivery := []Mutation{MutDrop, MutDuplicate, MutDelay, MutRedirect, MutReplay, MutBurst}
	for _, k := range slices.DeleteFunc(slices.Clone(Mutations), func(k Mutation) bool { return slices.Contains(delivery, k) }) {
		t.Run(string(k), func(t *testing.T) {
			m := f.mutator(t, self, 1, 1, k)
			// Give the swap classes real values to swap in.
			m.In(0, &wire.Message{Body: &wire.Message_Sync{Sync: &wire.Sync{HighQc: &wire.QuorumCert{View: 3, BlockHash: digest(60)},
				Tc: &wire.TimeoutCert{View: 4}}}})
			m.In(0, &wire.Message{Body: &wire.Message_SequencedRequest{SequencedRequest: &wire.SequencedRequest{Digests: [][]byte{digest(70)}}}})
			m.Collude([]byte("a batch"), 500, &wire.SequenceProof{})
			rewrites := 0
			for range 20 {
				for _, msg := range f.signedMessages(self) {
					before := proto.Clone(msg)
					out := m.Out(1, msg)
					if !proto.Equal(before, msg) {
						t.Fatalf("the original %T was modified", msg.Body)
					}
					if len(out) != 1 || out[0].To != 1 {
						t.Fatalf("%d deliveries for a rewrite", len(out))
					}
					if out[0].Msg == msg {
						continue // nothing of this class applies to this kind
					}
					rewrites++
					if proto.Equal(out[0].Msg, msg) {
						t.Fatalf("%T: a rewrite that changed nothing", msg.Body)
					}
					if !f.signatureOK(self, out[0].Msg) {
						t.Fatalf("%T rewritten by %s is not validly signed", msg.Body, k)
					}
				}
			}
			if rewrites == 0 || m.Counts()[k] != rewrites {
				t.Fatalf("%d rewrites, counted %d", rewrites, m.Counts()[k])
			}
		})
	}
}

// TestMutatorDelivery pins the delivery classes.
func TestMutatorDelivery(t *testing.T) {
	f := newFixture(t, 4)
	msg := &wire.Message{Body: &wire.Message_Vote{Vote: &wire.Vote{View: 1}}}
	earlier := &wire.Message{Body: &wire.Message_Vote{Vote: &wire.Vote{View: 0}}}
	for _, tc := range []struct {
		k     Mutation
		check func(out []Delivery) bool
	}{
		{MutDrop, func(out []Delivery) bool { return len(out) == 0 }},
		{MutDuplicate, func(out []Delivery) bool { return len(out) == 2 && out[0].Msg == msg && out[1].Msg == msg }},
		{MutDelay, func(out []Delivery) bool {
			return len(out) == 1 && out[0].DelayUs > 0 && out[0].DelayUs <= MaxMutationDelayUs
		}},
		{MutRedirect, func(out []Delivery) bool {
			return len(out) == 1 && out[0].To != 1 && out[0].To != 3 && out[0].Msg == msg
		}},
		{MutBurst, func(out []Delivery) bool {
			if len(out) < 2 || len(out) > 1+burstMax || out[0].Msg != msg {
				return false
			}
			for _, d := range out {
				if d.To != 1 || (d.Msg != msg && d.Msg != earlier) {
					return false
				}
			}
			return true
		}},
		{MutReplay, func(out []Delivery) bool {
			return len(out) == 2 && out[0].Msg == msg && (out[1].Msg == earlier || out[1].Msg == msg)
		}},
	} {
		t.Run(string(tc.k), func(t *testing.T) {
			m := f.mutator(t, 3, 0, 1, tc.k)
			m.Out(2, earlier) // rate 0: sent as is, and remembered
			m.cfg.Rate = 1
			if tc.k == MutReplay {
				if out := m.Out(1, msg); len(out) != 2 || out[1].Msg != earlier || out[1].To != 2 {
					t.Fatalf("the first replay is not of the earlier message: %+v", out)
				}
			}
			for range 30 {
				if out := m.Out(1, msg); !tc.check(out) {
					t.Fatalf("got %+v", out)
				}
			}
		})
	}
}

// TestMutatorRateZeroIsHonest: a zero rate never changes anything.
func TestMutatorRateZeroIsHonest(t *testing.T) {
	f := newFixture(t, 4)
	m := f.mutator(t, 3, 0, 1)
	for _, msg := range f.signedMessages(3) {
		if out := m.Out(1, msg); len(out) != 1 || out[0].Msg != msg || out[0].To != 1 || out[0].DelayUs != 0 {
			t.Fatalf("%T changed at rate 0", msg.Body)
		}
	}
	tr := f.tsReply(3, digest(1), 500)
	if m.Client(crypto.ClientID{}, tr) != tr {
		t.Fatal("a client message changed at rate 0")
	}
}

// TestMutatorDeterministic: the same seed gives the same mutations.
func TestMutatorDeterministic(t *testing.T) {
	f := newFixture(t, 4)
	run := func() [][]byte {
		m := f.mutator(t, 3, 0.5, 7)
		var out [][]byte
		for i := range 50 {
			for _, msg := range f.signedMessages(3) {
				for _, d := range m.Out(uint32(i%3), msg) {
					out = append(out, append(wire.Marshal(d.Msg), byte(d.To), byte(d.DelayUs)))
				}
			}
		}
		return out
	}
	a, b := run(), run()
	if !slices.EqualFunc(a, b, bytes.Equal) {
		t.Fatal("two mutators with one seed differ")
	}
}

// TestMutatorClientTimestamps: a shifted timestamp reply is a valid
// certificate for the new timestamp.
func TestMutatorClientTimestamps(t *testing.T) {
	f := newFixture(t, 4)
	for _, k := range []Mutation{MutTSShift, MutTSFar} {
		m := f.mutator(t, 3, 1, 1, k)
		d := digest(5)
		out := m.Client(crypto.ClientID{}, f.tsReply(3, d, 5_000_000_000)).GetTimestampReply()
		if out == nil || out.Cert.Ts == 5_000_000_000 {
			t.Fatalf("%s: timestamp not moved", k)
		}
		if err := tsproof.NewVerifier(f.com, 4).VerifyCerts(d, []*wire.TimestampCert{out.Cert}); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
}

// TestMutatorFarViewLandsOnOwnView: with the leader schedule known, a
// far-moved collect sometimes names a view the mutating replica leads.
func TestMutatorFarViewLandsOnOwnView(t *testing.T) {
	f := newFixture(t, 4)
	m, err := NewMutator(MutatorConfig{Self: 3, Key: f.keys[3], Committee: f.com, Rate: 1, Enabled: []Mutation{MutViewFar},
		Rand: rand.New(rand.NewPCG(1, 1)), Leader: func(v uint64) uint32 { return uint32(v % 4) }})
	if err != nil {
		t.Fatal(err)
	}
	own := 0
	for range 40 {
		c := m.Out(1, &wire.Message{Body: &wire.Message_Collect{Collect: &wire.Collect{View: 9, Boundary: 1}}})[0].Msg.GetCollect()
		if c.View < 1<<29 && c.View > 9 {
			t.Fatalf("view %d is not far", c.View)
		}
		if c.View%4 == 3 && c.View > 9 {
			own++
		}
	}
	if own == 0 {
		t.Fatal("no far collect landed on a view replica 3 leads")
	}
}

// TestMutatorCollude: a colluded batch is listed in this replica's collect
// replies below their boundary, in (ts, digest) order, validly signed, and
// served with its proof when a leader asks for it.
func TestMutatorCollude(t *testing.T) {
	f := newFixture(t, 4)
	m := f.mutator(t, 3, 1, 1, MutCollude)
	raw := []byte("an executed batch")
	d := batchDigest(raw)
	proof := &wire.SequenceProof{Certs: []*wire.TimestampCert{{Replica: 1, Ts: 150}}}
	reply := f.signedMessages(3)[4] // entries at ts 100 and 200, boundary 1000
	if out := m.Out(1, reply); out[0].Msg != reply {
		t.Fatal("a reply changed with nothing to collude")
	}
	m.Collude(raw, 150, proof)
	out := m.Out(1, reply)[0].Msg
	c := out.GetCollectReply()
	if len(c.Entries) != 3 || !bytes.Equal(c.Entries[1].Digest, d) || c.Entries[1].Ts != 150 || !f.signatureOK(3, out) {
		t.Fatalf("colluded entry not listed in order and signed: %v", c.Entries)
	}
	served := m.In(0, &wire.Message{Body: &wire.Message_SequencedRequest{SequencedRequest: &wire.SequencedRequest{Digests: [][]byte{digest(9), d}}}})
	if len(served) != 1 || served[0].To != 0 {
		t.Fatalf("served %+v", served)
	}
	sb := served[0].Msg.GetSequencedResponse().Batches
	if len(sb) != 1 || !bytes.Equal(sb[0].Batch, raw) || sb[0].Ts != 150 || sb[0].Proof != proof {
		t.Fatalf("served %v", sb)
	}
	// A colluded batch at or above the boundary is not listed.
	m2 := f.mutator(t, 3, 1, 1, MutCollude)
	m2.Collude(raw, 1000, proof)
	if out := m2.Out(1, reply); out[0].Msg != reply {
		t.Fatal("an entry at the boundary was listed")
	}
}

func TestParseMutations(t *testing.T) {
	got, err := ParseMutations(" drop,view-far ,")
	if err != nil || !slices.Equal(got, []Mutation{MutDrop, MutViewFar}) {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := ParseMutations("drop,bogus"); err == nil {
		t.Fatal("an unknown class was accepted")
	}
	if _, err := NewMutator(MutatorConfig{Committee: newFixture(t, 4).com, Rand: rand.New(rand.NewPCG(1, 1)), Rate: 2}); err == nil {
		t.Fatal("a rate above 1 was accepted")
	}
}
