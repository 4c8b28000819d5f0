package crypto

import (
	"bytes"
	"strings"
	"testing"
)

func TestNewCommittee(t *testing.T) {
	k1, k2 := seededKey(t, 1).Public(), seededKey(t, 2).Public()
	cases := []struct {
		name string
		pubs []PublicKey
		want string // "" means success
	}{
		{"one replica", []PublicKey{k1}, ""},
		{"two distinct", []PublicKey{k1, k2}, ""},
		{"empty", nil, "no replicas"},
		{"duplicate key", []PublicKey{k1, k2, k1}, "replicas 0 and 2 share a public key"},
		{"short key", []PublicKey{k1, k2[:31]}, "replica 1 public key is 31 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCommittee([]byte("c"), tc.pubs)
			if tc.want == "" {
				if err != nil || c.N() != len(tc.pubs) {
					t.Fatalf("NewCommittee: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestCommitteeSizes(t *testing.T) {
	for _, tc := range []struct{ n, f, q int }{{1, 0, 1}, {4, 1, 3}, {5, 1, 3}, {7, 2, 5}, {10, 3, 7}} {
		c := newTestCluster(t, tc.n).committee
		if c.N() != tc.n || c.F() != tc.f || c.Quorum() != tc.q {
			t.Errorf("n=%d: N=%d F=%d Quorum=%d, want f=%d q=%d", tc.n, c.N(), c.F(), c.Quorum(), tc.f, tc.q)
		}
	}
}

func TestCommitteeLookups(t *testing.T) {
	tc := newTestCluster(t, 4)
	c := tc.committee
	if !bytes.Equal(c.Cluster(), testClusterID) {
		t.Fatalf("Cluster = %q", c.Cluster())
	}
	for i := range 4 {
		pub := tc.signers[i].Public()
		if !bytes.Equal(c.PublicKey(uint32(i)), pub) {
			t.Fatalf("PublicKey(%d) differs", i)
		}
		if j, ok := c.IndexOf(pub); !ok || j != uint32(i) {
			t.Fatalf("IndexOf(key %d) = %d, %v", i, j, ok)
		}
	}
	if c.PublicKey(4) != nil {
		t.Fatal("PublicKey of an unknown replica is not nil")
	}
	if _, ok := c.IndexOf(seededKey(t, 99).Public()); ok {
		t.Fatal("IndexOf found a key outside the committee")
	}
}

func TestVerifyBatch(t *testing.T) {
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

	cases := []struct {
		name   string
		items  []Item
		wantOK bool
		valid  []bool // nil: not checked
	}{
		{"empty", nil, true, nil},
		{"one good", []Item{good(0)}, true, []bool{true}},
		{"one bad", []Item{item(0, 1, "m")}, false, []bool{false}},
		{"all good", []Item{good(0), good(1), good(2), good(3)}, true, []bool{true, true, true, true}},
		{"one tampered message", []Item{good(0), good(1), badMsg, good(3)}, false, []bool{true, true, false, true}},
		{"one wrong replica", []Item{good(0), item(1, 3, "m"), good(2)}, false, []bool{true, false, true}},
		{"unknown replica", []Item{good(0), {Replica: 7, Msg: good(1).Msg, Sig: good(1).Sig}, good(2)}, false, []bool{true, false, true}},
		{"malformed signature", []Item{good(0), shortSig, good(2)}, false, []bool{true, false, true}},
		{"different messages all good", []Item{item(0, 0, "a"), item(1, 1, "b"), item(2, 2, "c")}, true, []bool{true, true, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, valid := c.VerifyBatch(tc.items)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if tc.valid != nil && !equalBools(valid, tc.valid) {
				t.Fatalf("valid = %v, want %v", valid, tc.valid)
			}
		})
	}
}

// TestVerifyBatchAgreesWithSingle: batch verification never accepts
// something single verification rejects, on many random mixes.
func TestVerifyBatchAgreesWithSingle(t *testing.T) {
	tc := newTestCluster(t, 7)
	c := tc.committee
	for round := range 50 {
		var items []Item
		for i := range 7 {
			msg := []byte{byte(round), byte(i)}
			it := Item{Replica: uint32(i), Msg: SigningBytes(DomainVote, testClusterID, msg), Sig: tc.signers[i].Sign(DomainVote, msg)}
			if (round+i)%5 == 0 {
				it.Sig[round%SignatureBytes] ^= 0x40
			}
			items = append(items, it)
		}
		ok, valid := c.VerifyBatch(items)
		all := true
		for i, it := range items {
			single := c.VerifyBytes(it.Replica, it.Sig, it.Msg)
			all = all && single
			if valid[i] != single {
				t.Fatalf("round %d item %d: batch says %v, single says %v", round, i, valid[i], single)
			}
		}
		if ok != all {
			t.Fatalf("round %d: ok = %v, singles all = %v", round, ok, all)
		}
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
