package crypto

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

var qcMsg = SigningBytes(DomainVote, testClusterID, U64(3), []byte("block-hash"))

func partials(tc testCluster, signers ...uint32) []Partial {
	var out []Partial
	for _, s := range signers {
		out = append(out, Partial{Signer: s, Sig: tc.signers[s].Sign(DomainVote, U64(3), []byte("block-hash"))})
	}
	return out
}

func TestCombine(t *testing.T) {
	tc := newTestCluster(t, 4)
	q := Ed25519Quorum{C: tc.committee}

	// Partials in any order come out in signer order.
	ps := partials(tc, 3, 0, 2)
	bm, sigs, err := q.Combine(ps)
	if err != nil {
		t.Fatal(err)
	}
	if got := bm.Members(); len(got) != 3 || got[0] != 0 || got[1] != 2 || got[2] != 3 {
		t.Fatalf("members = %v", got)
	}
	if string(sigs[0]) != string(ps[1].Sig) || string(sigs[1]) != string(ps[2].Sig) || string(sigs[2]) != string(ps[0].Sig) {
		t.Fatal("signatures are not in signer order")
	}
	if err := q.VerifyQuorum(qcMsg, bm, sigs, 3); err != nil {
		t.Fatalf("combined certificate rejected: %v", err)
	}

	dup := append(partials(tc, 1, 2), partials(tc, 1)...)
	if _, _, err := q.Combine(dup); err == nil || !strings.Contains(err.Error(), "duplicate signer 1") {
		t.Fatalf("duplicate signer: %v", err)
	}
	if _, _, err := q.Combine([]Partial{{Signer: 4, Sig: make([]byte, 64)}}); err == nil || !strings.Contains(err.Error(), "unknown signer 4") {
		t.Fatalf("unknown signer: %v", err)
	}
}

func TestVerifyQuorum(t *testing.T) {
	tc := newTestCluster(t, 4)
	q := Ed25519Quorum{C: tc.committee}
	bm3, sigs3, err := q.Combine(partials(tc, 0, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	bm2, sigs2, _ := q.Combine(partials(tc, 0, 1))

	badSig := clone2(sigs3)
	badSig[1][0] ^= 1 // replica 1's signature
	beyond := Bitmap{0b0001_0111}
	long := Bitmap{0b0000_0111, 0}

	cases := []struct {
		name      string
		msg       []byte
		signers   Bitmap
		sigs      [][]byte
		threshold int
		want      string // "" means accepted
	}{
		{"quorum", qcMsg, bm3, sigs3, 3, ""},
		{"below threshold", qcMsg, bm2, sigs2, 3, "2 signers, needs 3"},
		{"lower threshold", qcMsg, bm2, sigs2, 2, ""},
		{"fewer sigs than signers", qcMsg, bm3, sigs3[:2], 3, "3 signers but 2 signatures"},
		{"more sigs than signers", qcMsg, bm2, sigs3, 2, "2 signers but 3 signatures"},
		{"bit beyond n", qcMsg, beyond, append(clone2(sigs3), sigs3[0]), 3, "beyond the committee"},
		{"bitmap too long", qcMsg, long, sigs3, 3, "bitmap is 2 bytes"},
		{"bitmap empty", qcMsg, Bitmap{}, nil, 0, "bitmap is 0 bytes"},
		{"one bad signature", qcMsg, bm3, badSig, 3, "bad signature from replica 1"},
		{"other message", SigningBytes(DomainVote, testClusterID, U64(4), []byte("block-hash")), bm3, sigs3, 3, "bad signature from replica"},
		{"malformed signature", qcMsg, bm3, [][]byte{sigs3[0], sigs3[1][:63], sigs3[2]}, 3, "bad signature from replica 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := q.VerifyQuorum(tc.msg, tc.signers, tc.sigs, tc.threshold)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestVerifyQuorumCache(t *testing.T) {
	tc := newTestCluster(t, 4)
	q := Ed25519Quorum{C: tc.committee}
	bm, sigs, _ := q.Combine(partials(tc, 0, 1, 3))
	for i := range 2 {
		if err := q.VerifyQuorum(qcMsg, bm, sigs, 3); err != nil {
			t.Fatalf("verification %d: %v", i, err)
		}
	}
	if !tc.committee.certs.Has(certKey(qcMsg, bm, sigs)) {
		t.Fatal("verified certificate is not cached")
	}
	// A cached certificate still fails the structural checks.
	if err := q.VerifyQuorum(qcMsg, bm, sigs, 4); err == nil {
		t.Fatal("cached certificate accepted above its signer count")
	}
	// A bad certificate is never cached: it fails every time.
	bad := clone2(sigs)
	bad[2][10] ^= 1
	for i := range 2 {
		err := q.VerifyQuorum(qcMsg, bm, bad, 3)
		if err == nil || !strings.Contains(err.Error(), "replica 3") {
			t.Fatalf("bad certificate, try %d: %v", i, err)
		}
	}
}

// TestVerifyQuorumCacheChecksSignatureLengths: a replica that verified a
// certificate must judge a re-encoding of it exactly as a replica with a
// cold cache would. Moving one byte from one signature to the next keeps the
// concatenation (and so the cache key) the same but makes both signatures
// malformed.
func TestVerifyQuorumCacheChecksSignatureLengths(t *testing.T) {
	tc := newTestCluster(t, 4)
	q := Ed25519Quorum{C: tc.committee}
	bm, sigs, _ := q.Combine(partials(tc, 0, 1, 2))
	resplit := [][]byte{
		append(append([]byte(nil), sigs[0]...), sigs[1][0]),
		append([]byte(nil), sigs[1][1:]...),
		sigs[2],
	}
	cold := Ed25519Quorum{C: newTestCluster(t, 4).committee}
	if err := cold.VerifyQuorum(qcMsg, bm, resplit, 3); err == nil {
		t.Fatal("cold verifier accepts malformed signatures")
	}
	if err := q.VerifyQuorum(qcMsg, bm, sigs, 3); err != nil {
		t.Fatal(err)
	}
	if err := q.VerifyQuorum(qcMsg, bm, resplit, 3); err == nil {
		t.Fatal("warm verifier accepts a certificate with malformed signatures that a cold one rejects")
	}
}

func clone2(s [][]byte) [][]byte {
	out := make([][]byte, len(s))
	for i := range s {
		out[i] = append([]byte(nil), s[i]...)
	}
	return out
}

// TestBitmapModel checks the bitmap against a map model.
func TestBitmapModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 40).Draw(t, "n")
		bm := NewBitmap(n)
		model := map[int]bool{}
		for _, i := range rapid.SliceOf(rapid.IntRange(0, n-1)).Draw(t, "adds") {
			bm.Set(i)
			model[i] = true
		}
		if bm.Count() != len(model) {
			t.Fatalf("Count = %d, model has %d", bm.Count(), len(model))
		}
		for i := -3; i < len(bm)*8+10; i++ {
			if bm.Has(i) != model[i] {
				t.Fatalf("Has(%d) = %v, model %v", i, bm.Has(i), model[i])
			}
		}
		members := bm.Members()
		if len(members) != len(model) {
			t.Fatalf("Members = %v, model %v", members, model)
		}
		for j, m := range members {
			if !model[m] || (j > 0 && members[j-1] >= m) {
				t.Fatalf("Members = %v not the increasing model set %v", members, model)
			}
		}
		if err := bm.Check(n); err != nil {
			t.Fatalf("Check(%d) on a bitmap of members below n: %v", n, err)
		}
		if n%8 != 0 {
			bad := append(Bitmap(nil), bm...)
			bad.Set(rapid.IntRange(n, len(bm)*8-1).Draw(t, "beyond"))
			if bad.Check(n) == nil {
				t.Fatalf("Check(%d) accepts a member beyond n: %08b", n, bad)
			}
		}
		if bm.Check(n+8) == nil {
			t.Fatal("Check accepts a bitmap of the wrong size")
		}
	})
}
