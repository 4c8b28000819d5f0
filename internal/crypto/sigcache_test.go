package crypto

import (
	"fmt"
	"testing"
)

// TestCachedVerificationGivesTheSameVerdicts runs every case of the batch
// table through the cached verifiers twice: the first pass fills the cache,
// the second reads it, and both must answer exactly as the plain verifiers.
func TestCachedVerificationGivesTheSameVerdicts(t *testing.T) {
	tc := newTestCluster(t, 4)
	c := tc.committee
	item := func(signer, claimed uint32, msg string) Item {
		m := SigningBytes(DomainVote, testClusterID, []byte(msg))
		return Item{Replica: claimed, Msg: m, Sig: tc.signers[signer].Sign(DomainVote, []byte(msg))}
	}
	good := func(i uint32) Item { return item(i, i, "m") }
	badMsg := good(2)
	badMsg.Msg = SigningBytes(DomainVote, testClusterID, []byte("other"))
	shortSig := good(1)
	shortSig.Sig = shortSig.Sig[:10]
	flipped := good(3)
	flipped.Sig = append([]byte(nil), flipped.Sig...)
	flipped.Sig[5] ^= 1
	cases := []struct {
		name  string
		items []Item
	}{
		{"empty", nil},
		{"one good", []Item{good(0)}},
		{"one bad", []Item{item(0, 1, "m")}},
		{"all good", []Item{good(0), good(1), good(2), good(3)}},
		{"tampered message beside its good twin", []Item{good(2), badMsg}},
		{"a good signature claimed by another replica", []Item{good(0), item(0, 1, "m")}},
		{"unknown replica", []Item{good(0), {Replica: 7, Msg: good(1).Msg, Sig: good(1).Sig}}},
		{"malformed signature", []Item{good(0), shortSig}},
		{"flipped bit", []Item{flipped, good(3)}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			wantOK, wantValid := c.VerifyBatch(tt.items)
			for pass := range 2 {
				ok, valid := c.VerifyBatchCached(tt.items)
				if ok != wantOK || (len(tt.items) > 0 && !equalBools(valid, wantValid)) {
					t.Fatalf("pass %d: cached batch %v %v, plain %v %v", pass, ok, valid, wantOK, wantValid)
				}
				for i, it := range tt.items {
					if got, want := c.VerifyBytesCached(it.Replica, it.Sig, it.Msg), c.VerifyBytes(it.Replica, it.Sig, it.Msg); got != want {
						t.Fatalf("pass %d item %d: cached single %v, plain %v", pass, i, got, want)
					}
				}
			}
		})
	}
}

// TestCachedVerificationRemembersOnlySuccess: a signature checked once is
// not checked again; a failure is checked again every time.
func TestCachedVerificationRemembersOnlySuccess(t *testing.T) {
	tc := newTestCluster(t, 4)
	c := tc.committee
	msg := SigningBytes(DomainCollect, testClusterID, []byte("reply"))
	sig := tc.signers[1].Sign(DomainCollect, []byte("reply"))
	checks := func(f func()) uint64 {
		before := Ops().Verified
		f()
		return Ops().Verified - before
	}
	if n := checks(func() { c.VerifyBytesCached(1, sig, msg) }); n != 1 {
		t.Fatalf("first check verified %d signatures, want 1", n)
	}
	if n := checks(func() {
		if !c.VerifyBytesCached(1, sig, msg) {
			t.Error("a remembered signature failed")
		}
		if ok, _ := c.VerifyBatchCached([]Item{{1, msg, sig}}); !ok {
			t.Error("a remembered signature failed in a batch")
		}
	}); n != 0 {
		t.Errorf("remembered signature verified %d more times", n)
	}
	for range 2 {
		if n := checks(func() {
			if c.VerifyBytesCached(2, sig, msg) {
				t.Error("replica 1's signature accepted for replica 2")
			}
		}); n != 1 {
			t.Errorf("a failing signature verified %d times, want 1 each time", n)
		}
	}
	other := SigningBytes(DomainCollect, testClusterID, []byte("replY"))
	if c.VerifyBytesCached(1, sig, other) {
		t.Error("a remembered signature accepted on other bytes")
	}
}

// TestSigCacheBoundIsPerSigner: one signer filling its share evicts only its
// own entries.
func TestSigCacheBoundIsPerSigner(t *testing.T) {
	tc := newTestCluster(t, 4)
	c := tc.committee
	keep := SigningBytes(DomainVote, testClusterID, []byte("keep"))
	keepSig := tc.signers[2].Sign(DomainVote, []byte("keep"))
	first := SigningBytes(DomainVote, testClusterID, []byte("0"))
	firstSig := tc.signers[0].Sign(DomainVote, []byte("0"))
	c.VerifyBytesCached(2, keepSig, keep)
	c.VerifyBytesCached(0, firstSig, first)
	for i := 1; i <= SigCacheEntriesPerReplica; i++ {
		part := []byte(fmt.Sprint(i))
		c.VerifyBytesCached(0, tc.signers[0].Sign(DomainVote, part), SigningBytes(DomainVote, testClusterID, part))
	}
	if got := c.sigs[0].Len(); got != SigCacheEntriesPerReplica {
		t.Errorf("replica 0 holds %d entries, bound %d", got, SigCacheEntriesPerReplica)
	}
	before := Ops().Verified
	c.VerifyBytesCached(2, keepSig, keep)
	if Ops().Verified != before {
		t.Error("replica 2's entry was evicted by replica 0's")
	}
	c.VerifyBytesCached(0, firstSig, first)
	if Ops().Verified != before+1 {
		t.Error("replica 0's oldest entry survived its share's bound")
	}
}
