package crypto

import (
	"bytes"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

type signTuple struct {
	domain  string
	cluster []byte
	parts   [][]byte
}

func tupleGen() *rapid.Generator[signTuple] {
	small := rapid.SliceOfN(rapid.Byte(), 0, 6)
	return rapid.Custom(func(t *rapid.T) signTuple {
		return signTuple{
			domain:  rapid.StringOfN(rapid.RuneFrom([]rune("ab/")), 0, 4, -1).Draw(t, "domain"),
			cluster: small.Draw(t, "cluster"),
			parts:   rapid.SliceOfN(small, 0, 4).Draw(t, "parts"),
		}
	})
}

func sameTuple(a, b signTuple) bool {
	if a.domain != b.domain || !bytes.Equal(a.cluster, b.cluster) || len(a.parts) != len(b.parts) {
		return false
	}
	for i := range a.parts {
		if !bytes.Equal(a.parts[i], b.parts[i]) {
			return false
		}
	}
	return true
}

// TestSigningBytesInjective: two different (domain, cluster, parts) tuples
// never share an encoding, however their bytes are split into parts.
func TestSigningBytesInjective(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := tupleGen().Draw(t, "a")
		var b signTuple
		if rapid.Bool().Draw(t, "resplit") {
			// Same concatenated bytes, split differently: the interesting case.
			all := append([]byte(a.domain), a.cluster...)
			for _, p := range a.parts {
				all = append(all, p...)
			}
			cuts := rapid.SliceOfN(rapid.IntRange(0, len(all)), 2, 6).Draw(t, "cuts")
			slices.Sort(cuts)
			b.domain = string(all[:cuts[0]])
			b.cluster = all[cuts[0]:cuts[1]]
			prev := cuts[1]
			for _, c := range cuts[2:] {
				b.parts = append(b.parts, all[prev:c])
				prev = c
			}
			b.parts = append(b.parts, all[prev:])
		} else {
			b = tupleGen().Draw(t, "b")
		}
		ea := SigningBytes(a.domain, a.cluster, a.parts...)
		eb := SigningBytes(b.domain, b.cluster, b.parts...)
		if sameTuple(a, b) != bytes.Equal(ea, eb) {
			t.Fatalf("tuples %+v and %+v: equal=%v but encodings equal=%v", a, b, sameTuple(a, b), bytes.Equal(ea, eb))
		}
	})
}

func TestSigningBytesEmptyPartsMatter(t *testing.T) {
	// A trailing empty part is a different statement from no part at all.
	if bytes.Equal(SigningBytes("d", nil), SigningBytes("d", nil, nil)) {
		t.Fatal("an empty part does not change the encoding")
	}
}

func TestIntegerParts(t *testing.T) {
	if got := U64(0x0102030405060708); !bytes.Equal(got, []byte{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Fatalf("U64 = %x", got)
	}
	if got := I64(-1); !bytes.Equal(got, bytes.Repeat([]byte{0xff}, 8)) {
		t.Fatalf("I64(-1) = %x", got)
	}
	if got := U32(0x01020304); !bytes.Equal(got, []byte{1, 2, 3, 4}) {
		t.Fatalf("U32 = %x", got)
	}
}

func TestSignVerify(t *testing.T) {
	tc := newTestCluster(t, 4)
	c := tc.committee
	parts := [][]byte{U64(7), []byte("block")}
	sig := tc.signers[1].Sign(DomainVote, parts...)

	other := newTestClusterWithID(t, 4, []byte("other-cluster"))
	tampered := append([]byte(nil), sig...)
	tampered[5] ^= 1

	cases := []struct {
		name    string
		c       *Committee
		replica uint32
		sig     []byte
		domain  string
		parts   [][]byte
		want    bool
	}{
		{"good", c, 1, sig, DomainVote, parts, true},
		{"wrong domain", c, 1, sig, DomainTimeout, parts, false},
		{"wrong cluster", other.committee, 1, sig, DomainVote, parts, false},
		{"wrong replica", c, 2, sig, DomainVote, parts, false},
		{"tampered message", c, 1, sig, DomainVote, [][]byte{U64(8), []byte("block")}, false},
		{"parts split differently", c, 1, sig, DomainVote, [][]byte{append(U64(7), 'b'), []byte("lock")}, false},
		{"tampered signature", c, 1, tampered, DomainVote, parts, false},
		{"short signature", c, 1, sig[:SignatureBytes-1], DomainVote, parts, false},
		{"long signature", c, 1, append(append([]byte(nil), sig...), 0), DomainVote, parts, false},
		{"empty signature", c, 1, nil, DomainVote, parts, false},
		{"unknown replica", c, 4, sig, DomainVote, parts, false},
		{"huge replica index", c, ^uint32(0), sig, DomainVote, parts, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.Verify(tc.replica, tc.sig, tc.domain, tc.parts...); got != tc.want {
				t.Fatalf("Verify = %v, want %v", got, tc.want)
			}
		})
	}
	if !bytes.Equal(tc.signers[1].Public(), c.PublicKey(1)) {
		t.Fatal("Signer.Public differs from the committee's key")
	}
}

func TestSignerCopiesCluster(t *testing.T) {
	id := []byte("mutable")
	k := seededKey(t, 9)
	s := NewSigner(k, id)
	c, err := NewCommittee([]byte("mutable"), []PublicKey{k.Public()})
	if err != nil {
		t.Fatal(err)
	}
	id[0] = 'X'
	if !c.Verify(0, s.Sign(DomainVote, []byte("x")), DomainVote, []byte("x")) {
		t.Fatal("changing the caller's cluster slice changed what the signer signs")
	}
}
