package tsproof

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/wire"
)

// FuzzRootOf recomputes roots from fuzzed leaves, positions and paths: it
// never panics, accepts a path only of the exact length the tree's shape
// gives, and the path Build made always leads to Build's root.
func FuzzRootOf(f *testing.F) {
	f.Add([]byte("leaf"), uint32(2), uint32(5), []byte{})
	f.Add([]byte("x"), uint32(0), uint32(1), []byte{})
	f.Add([]byte("y"), uint32(4), uint32(5), make([]byte, 64))
	f.Add([]byte("z"), uint32(70000), uint32(70001), make([]byte, 32))
	f.Fuzz(func(t *testing.T, seed []byte, index, count uint32, pathBlob []byte) {
		leaf := Leaf([]byte("c"), 0, seed, 1)
		var path [][]byte
		for len(pathBlob) > 0 {
			n := min(len(pathBlob), 32)
			if pathBlob[0]%7 == 0 { // sometimes a short element
				n = min(n, 1+int(pathBlob[0]%31))
			}
			path = append(path, pathBlob[:n])
			pathBlob = pathBlob[n:]
		}
		_, err := RootOf(leaf, index, count, path)
		if count == 0 || count > 256 || index >= count {
			if count == 0 || count > MaxLeaves || index >= count {
				if err == nil {
					t.Fatalf("index %d of %d accepted", index, count)
				}
			}
			return
		}
		leaves := make([]Hash, count)
		for i := range leaves {
			leaves[i] = Leaf([]byte("c"), 0, []byte{byte(i)}, int64(i))
		}
		leaves[index] = leaf
		tr, err2 := Build(leaves)
		if err2 != nil {
			t.Fatal(err2)
		}
		want := tr.Paths[index]
		if err == nil && len(path) != len(want) {
			t.Fatalf("path of %d elements accepted where the tree has %d", len(path), len(want))
		}
		root, err := RootOf(leaf, index, count, want)
		if err != nil || root != tr.Root {
			t.Fatalf("Build's own path rejected or wrong: %v", err)
		}
	})
}

// proofFixture is a committee of four with valid certificates from every
// replica for one digest; proofs are any three of them.
type proofFixture struct {
	v     *Verifier
	d     []byte
	certs []*wire.TimestampCert
}

func newProofFixture(t testing.TB) *proofFixture {
	c, rs := setup(t, 4)
	d := []byte("digest-of-batch-000000000000000x")
	fx := &proofFixture{v: NewVerifier(c, 64), d: d}
	for i, r := range rs {
		fx.certs = append(fx.certs, certify(c, r, d, int64(100+10*i), 2+i))
	}
	return fx
}

// validByConstruction says whether p is a proof the fuzzer cannot have
// forged: 2f+1 certificates from distinct replicas, each identical to a
// genuine one, claiming their median.
func (fx *proofFixture) validByConstruction(ts int64, p *wire.SequenceProof) bool {
	if len(p.Certs) != 3 {
		return false
	}
	seen := map[uint32]bool{}
	var vals []int64
	for _, c := range p.Certs {
		if c == nil || c.Replica >= 4 || seen[c.Replica] || !proto.Equal(c, fx.certs[c.Replica]) {
			return false
		}
		seen[c.Replica] = true
		vals = append(vals, c.Ts)
	}
	return Median(vals, 1) == ts
}

// mutateProof builds a proof from three genuine certificates and applies
// the edits script describes, two bytes per edit: which certificate and
// which field, then the edit's data.
func (fx *proofFixture) mutateProof(pick uint8, script []byte, tsDelta int64) (*wire.SequenceProof, int64) {
	skip := int(pick % 4)
	p := &wire.SequenceProof{}
	var vals []int64
	for i, c := range fx.certs {
		if i != skip {
			p.Certs = append(p.Certs, proto.Clone(c).(*wire.TimestampCert))
			vals = append(vals, c.Ts)
		}
	}
	ts := Median(vals, 1) + tsDelta
	for len(script) >= 3 {
		which, field, arg := int(script[0]), script[1]%12, script[2]
		script = script[3:]
		if len(p.Certs) == 0 {
			p.Certs = append(p.Certs, proto.Clone(fx.certs[arg%4]).(*wire.TimestampCert))
			continue
		}
		c := p.Certs[which%len(p.Certs)]
		if c == nil { // emptied by an earlier edit
			p.Certs[which%len(p.Certs)] = proto.Clone(fx.certs[arg%4]).(*wire.TimestampCert)
			continue
		}
		switch field {
		case 0:
			c.Replica = uint32(arg) % 6
		case 1:
			c.Ts += int64(int8(arg))
		case 2:
			if len(c.Root) > 0 {
				c.Root[int(arg)%len(c.Root)] ^= 1 << (arg % 8)
			}
		case 3:
			c.LeafCount = uint32(arg % 8)
		case 4:
			c.Index = uint32(arg % 8)
		case 5:
			if len(c.Path) > 0 {
				c.Path = c.Path[:len(c.Path)-1]
			}
		case 6:
			c.Path = append(c.Path, append([]byte(nil), fx.certs[arg%4].Root...))
		case 7:
			if len(c.Sig) > 0 {
				c.Sig[int(arg)%len(c.Sig)] ^= 1 << (arg % 8)
			}
		case 8:
			c.Sig = append(c.Sig, arg) // signatures of the wrong length
		case 9:
			p.Certs = append(p.Certs, proto.Clone(fx.certs[arg%4]).(*wire.TimestampCert))
		case 10:
			p.Certs = append(p.Certs[:which%len(p.Certs)], p.Certs[which%len(p.Certs)+1:]...)
		case 11:
			p.Certs[which%len(p.Certs)] = nil
		}
	}
	return p, ts
}

// FuzzVerifyProof checks mutated proofs three ways: against a fresh
// verifier, against one whose caches hold every genuine root, and against
// what the fuzzer could possibly have built without forging. A verifier
// must never accept what the fresh checks reject, and never accept a
// proof that is not genuine.
func FuzzVerifyProof(f *testing.F) {
	f.Add(uint8(0), []byte{}, int64(0))
	f.Add(uint8(1), []byte{0, 1, 1}, int64(0))
	f.Add(uint8(2), []byte{1, 3, 6}, int64(0))
	f.Add(uint8(3), []byte{2, 6, 1, 2, 5, 0}, int64(0))
	f.Add(uint8(0), []byte{0, 9, 3}, int64(10))
	f.Add(uint8(0), []byte{0, 0, 3}, int64(0))
	fx := newProofFixture(f)
	warm := NewVerifier(fx.v.Committee(), 64)
	for skip := range 4 {
		p, ts := fx.mutateProof(uint8(skip), nil, 0)
		if err := warm.VerifyProof(fx.d, ts, p); err != nil {
			f.Fatalf("genuine proof rejected: %v", err)
		}
	}
	f.Fuzz(func(t *testing.T, pick uint8, script []byte, tsDelta int64) {
		p, ts := fx.mutateProof(pick, script, tsDelta)
		raw, encodeErr := proto.Marshal(p) // fails on nil certificates
		fresh := NewVerifier(fx.v.Committee(), 64)
		freshErr := fresh.VerifyProof(fx.d, ts, p)
		warmErr := warm.VerifyProof(fx.d, ts, p)
		if freshErr != nil && warmErr == nil {
			t.Fatalf("cached verifier accepted a proof the fresh one rejects (%v)", freshErr)
		}
		if freshErr == nil && !fx.validByConstruction(ts, p) {
			t.Fatalf("accepted a proof that is not genuine: %v", p)
		}
		if fx.validByConstruction(ts, p) && (freshErr != nil || warmErr != nil) {
			t.Fatalf("genuine proof rejected: %v / %v", freshErr, warmErr)
		}
		// The proof as it travels: decoding it must give the same verdict.
		var back wire.SequenceProof
		if encodeErr == nil && proto.Unmarshal(raw, &back) == nil {
			if (fresh.VerifyProof(fx.d, ts, &back) == nil) != (freshErr == nil) {
				t.Fatal("verdict changed across encoding")
			}
		}
	})
}
