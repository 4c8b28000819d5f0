package tsproof

import (
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

func TestMerklePathsVerify(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 31, 256, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			leaves := make([]Hash, n)
			for i := range leaves {
				leaves[i] = Leaf([]byte("c"), 1, []byte{byte(i), byte(i >> 8)}, int64(i))
			}
			tr, err := Build(leaves)
			if err != nil {
				t.Fatal(err)
			}
			for i := range leaves {
				root, err := RootOf(leaves[i], uint32(i), uint32(n), tr.Paths[i])
				if err != nil || root != tr.Root {
					t.Fatalf("leaf %d: root mismatch (%v)", i, err)
				}
				// The same path must not prove the leaf at another index or count.
				if n > 1 {
					if r, err := RootOf(leaves[i], uint32((i+1)%n), uint32(n), tr.Paths[i]); err == nil && r == tr.Root {
						t.Fatalf("leaf %d verified at another index", i)
					}
				}
			}
		})
	}
}

// TestMedianBetweenCorrect pins the median rule of docs/protocol.md section 2.3:
// for any f Byzantine values among 2f+1, the value at index f lies between
// the smallest and largest correct timestamp. Index f+1 and the mean must
// fail the same property (the reference prototype's bug).
func TestMedianBetweenCorrect(t *testing.T) {
	rules := map[string]func([]int64, int) int64{
		"index f":   Median,
		"index f+1": func(ts []int64, f int) int64 { s := slices.Clone(ts); slices.Sort(s); return s[f+1] },
		"mean": func(ts []int64, f int) int64 {
			var sum int64
			for _, v := range ts {
				sum += v
			}
			return sum / int64(len(ts))
		},
	}
	holds := func(rule func([]int64, int) int64) func(*rapid.T) {
		return func(t *rapid.T) {
			f := rapid.IntRange(1, 10).Draw(t, "f")
			correct := rapid.SliceOfN(rapid.Int64Range(0, 1_000_000), f+1, f+1).Draw(t, "correct")
			byz := rapid.SliceOfN(rapid.Int64Range(-1<<40, 1<<40), f, f).Draw(t, "byzantine")
			all := append(slices.Clone(correct), byz...)
			got := rule(all, f)
			if got < slices.Min(correct) || got > slices.Max(correct) {
				t.Fatalf("chosen %d outside correct range [%d, %d]", got, slices.Min(correct), slices.Max(correct))
			}
		}
	}
	t.Run("index f holds", func(t *testing.T) { rapid.Check(t, holds(rules["index f"])) })
	for _, name := range []string{"index f+1", "mean"} {
		t.Run(name+" fails", func(t *testing.T) {
			// rapid must find a counterexample.
			failed := false
			for seed := 0; seed < 20 && !failed; seed++ {
				f := 1 + seed%4
				correct := make([]int64, f+1)
				for i := range correct {
					correct[i] = int64(100 + i)
				}
				byz := make([]int64, f)
				for i := range byz {
					byz[i] = 1 << 40
				}
				got := rules[name](append(correct, byz...), f)
				failed = got < slices.Min(correct) || got > slices.Max(correct)
			}
			if !failed {
				t.Fatalf("%s never left the correct range: the test cannot tell it from the median", name)
			}
		})
	}
}

type testReplica struct {
	id     uint32
	signer *crypto.Signer
}

func setup(t testing.TB, n int) (*crypto.Committee, []testReplica) {
	t.Helper()
	var pubs []crypto.PublicKey
	var keys []crypto.PrivateKey
	for i := 0; i < n; i++ {
		k, err := crypto.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
		pubs = append(pubs, k.Public())
	}
	c, err := crypto.NewCommittee([]byte("cluster"), pubs)
	if err != nil {
		t.Fatal(err)
	}
	var rs []testReplica
	for i, k := range keys {
		rs = append(rs, testReplica{id: uint32(i), signer: crypto.NewSigner(k, c.Cluster())})
	}
	return c, rs
}

// certify makes replica r's certificate for d at ts inside a window with
// other filler leaves.
func certify(c *crypto.Committee, r testReplica, d []byte, ts int64, window int) *wire.TimestampCert {
	leaves := make([]Hash, window)
	idx := window / 2
	for i := range leaves {
		leaves[i] = Leaf(c.Cluster(), r.id, []byte{byte(i)}, int64(i))
	}
	leaves[idx] = Leaf(c.Cluster(), r.id, d, ts)
	tr, _ := Build(leaves)
	sig := r.signer.Sign(crypto.DomainTSRoot, crypto.U32(r.id), tr.Root[:], crypto.U32(uint32(window)))
	return &wire.TimestampCert{Replica: r.id, Ts: ts, Root: tr.Root[:], LeafCount: uint32(window), Index: uint32(idx), Path: tr.Paths[idx], Sig: sig}
}

func TestVerifyProof(t *testing.T) {
	c, rs := setup(t, 4)
	d := []byte("digest-of-batch-000000000000000x")
	good := &wire.SequenceProof{Certs: []*wire.TimestampCert{certify(c, rs[0], d, 10, 5), certify(c, rs[1], d, 30, 3), certify(c, rs[2], d, 20, 1)}}
	v := NewVerifier(c, 16)
	if err := v.VerifyProof(d, 20, good); err != nil {
		t.Fatalf("good proof: %v", err)
	}
	cases := []struct {
		name  string
		ts    int64
		proof func() *wire.SequenceProof
	}{
		{"not the median", 30, func() *wire.SequenceProof { return good }},
		{"too few", 20, func() *wire.SequenceProof { return &wire.SequenceProof{Certs: good.Certs[:2]} }},
		{"duplicate signer", 20, func() *wire.SequenceProof {
			return &wire.SequenceProof{Certs: []*wire.TimestampCert{good.Certs[0], good.Certs[0], good.Certs[2]}}
		}},
		{"unknown replica", 20, func() *wire.SequenceProof {
			x := proto.Clone(good.Certs[0]).(*wire.TimestampCert)
			x.Replica = 9
			return &wire.SequenceProof{Certs: []*wire.TimestampCert{x, good.Certs[1], good.Certs[2]}}
		}},
		{"cert for another digest", 20, func() *wire.SequenceProof {
			return &wire.SequenceProof{Certs: []*wire.TimestampCert{certify(c, rs[0], []byte("other"), 10, 5), good.Certs[1], good.Certs[2]}}
		}},
		{"forged timestamp", 20, func() *wire.SequenceProof {
			x := proto.Clone(good.Certs[0]).(*wire.TimestampCert)
			x.Ts = 15
			return &wire.SequenceProof{Certs: []*wire.TimestampCert{x, good.Certs[1], good.Certs[2]}}
		}},
		{"leaf count changed", 20, func() *wire.SequenceProof {
			x := proto.Clone(good.Certs[0]).(*wire.TimestampCert)
			x.LeafCount = 6 // same root from this path, but the signature covers 5
			return &wire.SequenceProof{Certs: []*wire.TimestampCert{x, good.Certs[1], good.Certs[2]}}
		}},
		{"signature by another replica", 20, func() *wire.SequenceProof {
			x := certify(c, rs[3], d, 10, 5)
			x.Replica = 0
			return &wire.SequenceProof{Certs: []*wire.TimestampCert{x, good.Certs[1], good.Certs[2]}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := NewVerifier(c, 16).VerifyProof(d, tc.ts, tc.proof()); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func BenchmarkVerifyProofCold(b *testing.B) {
	c, rs := setup(b, 4)
	d := make([]byte, 32)
	p := &wire.SequenceProof{Certs: []*wire.TimestampCert{certify(c, rs[0], d, 10, 256), certify(c, rs[1], d, 30, 256), certify(c, rs[2], d, 20, 256)}}
	for b.Loop() {
		if err := NewVerifier(c, 16).VerifyProof(d, 20, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyProofCachedRoots(b *testing.B) {
	c, rs := setup(b, 4)
	d := make([]byte, 32)
	p := &wire.SequenceProof{Certs: []*wire.TimestampCert{certify(c, rs[0], d, 10, 256), certify(c, rs[1], d, 30, 256), certify(c, rs[2], d, 20, 256)}}
	v := NewVerifier(c, 16)
	for b.Loop() {
		if err := v.VerifyProof(d, 20, p); err != nil {
			b.Fatal(err)
		}
	}
}

// A root recorded as signed here is trusted for that exact signature only:
// a different signature on the same root is still checked (and refused).
func TestSignedRootsTrustedExactly(t *testing.T) {
	c, rs := setup(t, 4)
	d := []byte("digest-of-batch-000000000000000x")
	own := certify(c, rs[0], d, 10, 3)
	v := NewVerifier(c, 16)
	v.Signed(own.Replica, own.Root, own.LeafCount, own.Sig)
	if !v.roots.Has(keyOf(own.Replica, own.Root, own.LeafCount, own.Sig)) {
		t.Fatal("signed root not cached")
	}
	if err := v.VerifyCerts(d, []*wire.TimestampCert{own}); err != nil {
		t.Fatalf("own certificate: %v", err)
	}
	forged := proto.Clone(own).(*wire.TimestampCert)
	forged.Sig[0] ^= 1
	if err := v.VerifyCerts(d, []*wire.TimestampCert{forged}); err == nil {
		t.Fatal("a different signature on a signed root was accepted")
	}
}

// A proof whose root signature failed is refused again from the cache: the
// state machine's second check of a proof pre-verification refused costs
// no signature verification, and the good signatures checked beside the
// bad one are cached as good.
func TestFailedSignaturesCached(t *testing.T) {
	c, rs := setup(t, 4)
	d := []byte("digest-of-batch-000000000000000x")
	forged := certify(c, rs[0], d, 10, 5)
	forged.Sig[3] ^= 1
	bad := &wire.SequenceProof{Certs: []*wire.TimestampCert{forged, certify(c, rs[1], d, 30, 3), certify(c, rs[2], d, 20, 1)}}
	v := NewVerifier(c, 16)
	if err := v.VerifyProof(d, 20, bad); err == nil {
		t.Fatal("a forged root signature was accepted")
	}
	first := v.SignaturesChecked()
	if first != 3 {
		t.Fatalf("%d signatures checked for a proof of 3 uncached roots", first)
	}
	for range 5 {
		if err := v.VerifyProof(d, 20, bad); err == nil {
			t.Fatal("the forged signature was accepted on a later check")
		}
	}
	if again := v.SignaturesChecked() - first; again != 0 {
		t.Fatalf("repeating a bad proof checked %d more signatures, want 0", again)
	}
	// The two good certificates are cached as good; a proof built from
	// them and a valid third one checks only the new one.
	good := &wire.SequenceProof{Certs: []*wire.TimestampCert{certify(c, rs[3], d, 10, 5), bad.Certs[1], bad.Certs[2]}}
	if err := v.VerifyProof(d, 20, good); err != nil {
		t.Fatal(err)
	}
	if n := v.SignaturesChecked() - first; n != 1 {
		t.Fatalf("%d signatures checked, want 1 (the two good ones were cached)", n)
	}
	// The failed cache is bounded.
	for i := range 100 {
		x := proto.Clone(forged).(*wire.TimestampCert)
		x.Sig[5] = byte(i)
		_ = v.VerifyCerts(d, []*wire.TimestampCert{x})
	}
	if n := v.failed.Len(); n > 4 {
		t.Fatalf("failed cache holds %d entries, bound 4", n)
	}
}
