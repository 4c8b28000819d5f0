package crypto

import (
	"errors"
	"fmt"
	"math/bits"
)

// Partial is one replica's signature toward a certificate.
type Partial struct {
	Signer uint32
	Sig    []byte
}

// QuorumScheme turns 2f+1 partial signatures on one statement into a
// certificate and checks certificates. The ed25519 scheme keeps every
// signature (verified as a batch); an aggregate scheme (BLS) would keep one.
// Consensus code sees only this interface.
type QuorumScheme interface {
	// Combine builds a certificate body from partials by distinct signers.
	Combine(parts []Partial) (signers Bitmap, sigs [][]byte, err error)
	// VerifyQuorum checks that at least threshold distinct known replicas
	// signed msg (signing bytes), using and filling the verified cache.
	VerifyQuorum(msg []byte, signers Bitmap, sigs [][]byte, threshold int) error
}

// Ed25519Quorum is the multi-signature scheme: one ed25519 signature per
// signer, in signer order, checked with batch verification.
type Ed25519Quorum struct {
	C *Committee
}

var _ QuorumScheme = Ed25519Quorum{}

// Combine sorts partials by signer and builds the bitmap.
func (q Ed25519Quorum) Combine(parts []Partial) (Bitmap, [][]byte, error) {
	bm := NewBitmap(q.C.N())
	bySigner := make([][]byte, q.C.N())
	for _, p := range parts {
		if int(p.Signer) >= q.C.N() {
			return nil, nil, fmt.Errorf("crypto: unknown signer %d", p.Signer)
		}
		if bm.Has(int(p.Signer)) {
			return nil, nil, fmt.Errorf("crypto: duplicate signer %d", p.Signer)
		}
		bm.Set(int(p.Signer))
		bySigner[p.Signer] = p.Sig
	}
	sigs := make([][]byte, 0, len(parts))
	for _, s := range bySigner {
		if s != nil {
			sigs = append(sigs, s)
		}
	}
	return bm, sigs, nil
}

// VerifyQuorum implements QuorumScheme.
func (q Ed25519Quorum) VerifyQuorum(msg []byte, signers Bitmap, sigs [][]byte, threshold int) error {
	if err := signers.Check(q.C.N()); err != nil {
		return err
	}
	count := signers.Count()
	if count < threshold {
		return fmt.Errorf("crypto: certificate has %d signers, needs %d", count, threshold)
	}
	if count != len(sigs) {
		return fmt.Errorf("crypto: certificate has %d signers but %d signatures", count, len(sigs))
	}
	// Malformed signatures are refused before the cache is consulted: the
	// cache key must never match a certificate that did not verify.
	members := signers.Members()
	for j, s := range sigs {
		if len(s) != SignatureBytes {
			return fmt.Errorf("crypto: bad signature from replica %d: %d bytes", members[j], len(s))
		}
	}
	key := certKey(msg, signers, sigs)
	if q.C.certs.Has(key) {
		return nil
	}
	items := make([]Item, 0, count)
	j := 0
	for i := 0; i < q.C.N(); i++ {
		if signers.Has(i) {
			items = append(items, Item{Replica: uint32(i), Msg: msg, Sig: sigs[j]})
			j++
		}
	}
	ok, valid := q.C.VerifyBatch(items)
	if !ok {
		for i, v := range valid {
			if !v {
				return fmt.Errorf("crypto: bad signature from replica %d", items[i].Replica)
			}
		}
		return errors.New("crypto: certificate signature check failed")
	}
	q.C.certs.Add(key)
	return nil
}

// Bitmap is a set of replica indexes, bit i of byte i/8 (LSB first).
type Bitmap []byte

// NewBitmap makes an empty bitmap for n members.
func NewBitmap(n int) Bitmap { return make(Bitmap, (n+7)/8) }

// Set adds i.
func (b Bitmap) Set(i int) { b[i/8] |= 1 << (i % 8) }

// Has reports whether i is in the set (false when out of range).
func (b Bitmap) Has(i int) bool {
	if i < 0 || i/8 >= len(b) {
		return false
	}
	return b[i/8]&(1<<(i%8)) != 0
}

// Count returns the number of members.
func (b Bitmap) Count() int {
	n := 0
	for _, x := range b {
		n += bits.OnesCount8(x)
	}
	return n
}

// Check rejects a bitmap of the wrong size or with bits beyond n.
func (b Bitmap) Check(n int) error {
	if len(b) != (n+7)/8 {
		return fmt.Errorf("crypto: bitmap is %d bytes, want %d", len(b), (n+7)/8)
	}
	if n%8 != 0 && len(b) > 0 && b[len(b)-1]>>(n%8) != 0 {
		return errors.New("crypto: bitmap names members beyond the committee")
	}
	return nil
}

// Members lists the set's indexes in increasing order.
func (b Bitmap) Members() []int {
	var out []int
	for i := 0; i < len(b)*8; i++ {
		if b.Has(i) {
			out = append(out, i)
		}
	}
	return out
}
