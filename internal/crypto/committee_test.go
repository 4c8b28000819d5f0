package crypto

import (
	"bytes"
	"strings"
	"testing"
)

func TestNewCommittee(t *testing.T) {
	k1, k2, k3, k4 := seededKey(t, 1).Public(), seededKey(t, 2).Public(), seededKey(t, 3).Public(), seededKey(t, 4).Public()
	cases := []struct {
		name string
		pubs []PublicKey
		want string // "" means success
	}{
		{"one replica", []PublicKey{k1}, ""},
		{"four distinct", []PublicKey{k1, k2, k3, k4}, ""},
		{"two distinct", []PublicKey{k1, k2}, "n must be 3f+1"},
		{"empty", nil, "no replicas"},
		{"duplicate key", []PublicKey{k1, k2, k3, k1}, "replicas 0 and 3 share a public key"},
		{"short key", []PublicKey{k1, k2[:31], k3, k4}, "replica 1 public key is 31 bytes"},
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
	for _, tc := range []struct{ n, f, q int }{{1, 0, 1}, {4, 1, 3}, {7, 2, 5}, {10, 3, 7}, {16, 5, 11}, {31, 10, 21}, {100, 33, 67}} {
		c := newTestCluster(t, tc.n).committee
		if c.N() != tc.n || c.F() != tc.f || c.Quorum() != tc.q {
			t.Errorf("n=%d: N=%d F=%d Quorum=%d, want f=%d q=%d", tc.n, c.N(), c.F(), c.Quorum(), tc.f, tc.q)
		}
	}
}

// TestCommitteeSizeRule: only n = 3f+1 builds a committee. Any other n
// would let two quorums of 2f+1 be disjoint (n = 6) or make one replica a
// quorum (n = 2, 3), so it is refused with the rule in the error.
func TestCommitteeSizeRule(t *testing.T) {
	for _, tc := range []struct {
		n    int
		f    int
		want bool
	}{
		{0, 0, false}, {-4, 0, false},
		{1, 0, true}, {2, 0, false}, {3, 0, false},
		{4, 1, true}, {5, 0, false}, {6, 0, false},
		{7, 2, true}, {8, 0, false}, {9, 0, false},
		{10, 3, true}, {11, 0, false}, {15, 0, false},
		{16, 5, true}, {31, 10, true}, {100, 33, true}, {101, 0, false},
	} {
		f, err := FaultsTolerated(tc.n)
		if tc.want {
			if err != nil || f != tc.f {
				t.Errorf("FaultsTolerated(%d) = %d, %v; want %d", tc.n, f, err, tc.f)
			}
		} else if err == nil || !strings.Contains(err.Error(), "n must be 3f+1") {
			t.Errorf("FaultsTolerated(%d) = %d, %v; want the 3f+1 rule", tc.n, f, err)
		}
		if tc.n <= 0 {
			continue
		}
		pubs := make([]PublicKey, tc.n)
		for i := range pubs {
			pubs[i] = seededKey(t, byte(i+1)).Public()
		}
		c, err := NewCommittee([]byte("c"), pubs)
		if tc.want {
			if err != nil || c.F() != tc.f || c.Quorum() != 2*tc.f+1 {
				t.Errorf("NewCommittee(n=%d): %v", tc.n, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "n must be 3f+1") {
			t.Errorf("NewCommittee(n=%d) = %v; want the 3f+1 rule", tc.n, err)
		}
	}
}

// TestQuorumsIntersectInACorrectReplica: for every accepted n, two quorums
// share at least f+1 replicas, so at least one correct one.
func TestQuorumsIntersectInACorrectReplica(t *testing.T) {
	for n := 1; n <= 100; n++ {
		f, err := FaultsTolerated(n)
		if err != nil {
			continue
		}
		if q := 2*f + 1; 2*q-n < f+1 {
			t.Errorf("n=%d f=%d: two quorums of %d share only %d replicas", n, f, q, 2*q-n)
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
