package tsproof

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/pompe-bft/pompe/internal/bounded"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Median is the timestamp a proof assigns: the value at index f of the
// 2f+1 timestamps sorted ascending. With at most f Byzantine values among
// them it lies between the smallest and largest correct timestamp.
func Median(ts []int64, f int) int64 {
	s := slices.Clone(ts)
	slices.Sort(s)
	return s[f]
}

// Verifier checks timestamp certificates and sequence proofs of one cluster.
// It is safe for concurrent use.
//
// Both caches only memoize: whether a signature verifies is a function of
// (replica key, root, count, signature), which the cache key fixes, so a
// hit gives the answer a fresh check would.
type Verifier struct {
	c     *crypto.Committee
	roots *bounded.SyncSet[rootKey] // (replica, root, count, signature) that verified
	// failed holds those that did not: a bad proof is checked in
	// pre-verification and again in the state machine, and a client that
	// repeats one must not cost a batch verification and its fallback each
	// time. Bounded at a quarter of the root cache (32 bytes per entry); the
	// oldest entries are evicted first.
	failed *bounded.SyncSet[rootKey]
	// checked counts root signatures verified (not served from a cache).
	checked atomic.Uint64
}

// SignaturesChecked reports how many root signatures the verifier has
// verified itself rather than found in a cache.
func (v *Verifier) SignaturesChecked() uint64 { return v.checked.Load() }

// NewVerifier makes a verifier with a root cache of cacheEntries.
func NewVerifier(c *crypto.Committee, cacheEntries int) *Verifier {
	if cacheEntries <= 0 {
		cacheEntries = 1 << 16
	}
	return &Verifier{c: c, roots: bounded.NewSyncSet[rootKey](cacheEntries),
		failed: bounded.NewSyncSet[rootKey](max(1, cacheEntries/4))}
}

// Committee returns the verifier's committee.
func (v *Verifier) Committee() *crypto.Committee { return v.c }

// rootKey identifies an exact (replica, root, count, signature) that verified.
type rootKey [32]byte

func keyOf(replica uint32, root []byte, count uint32, sig []byte) rootKey {
	h := sha256.New()
	h.Write(crypto.U32(replica))
	h.Write(root)
	h.Write(crypto.U32(count))
	h.Write(sig)
	var k rootKey
	h.Sum(k[:0])
	return k
}

// Signed records a root signature this replica produced itself, so that
// proofs carrying it skip the check: a replica appears in three of every
// four proofs of a four-replica cluster, and its own signature is a third
// of what each of them would otherwise cost it.
func (v *Verifier) Signed(replica uint32, root []byte, count uint32, sig []byte) {
	v.roots.Add(keyOf(replica, root, count, sig))
}

// CheckPath checks that cert places (d, cert.Ts) under cert.Root. It does
// not check the root's signature.
func (v *Verifier) CheckPath(d []byte, cert *wire.TimestampCert) error {
	if cert == nil {
		return errors.New("tsproof: missing certificate")
	}
	if int(cert.Replica) >= v.c.N() {
		return fmt.Errorf("tsproof: unknown replica %d", cert.Replica)
	}
	leaf := Leaf(v.c.Cluster(), cert.Replica, d, cert.Ts)
	root, err := RootOf(leaf, cert.Index, cert.LeafCount, cert.Path)
	if err != nil {
		return err
	}
	if string(root[:]) != string(cert.Root) {
		return errors.New("tsproof: path does not lead to the signed root")
	}
	return nil
}

// VerifyCerts checks the paths and root signatures of certs for batch d.
// Uncached root signatures are verified together as one batch.
func (v *Verifier) VerifyCerts(d []byte, certs []*wire.TimestampCert) error {
	var items []crypto.Item
	var keys []rootKey
	for _, c := range certs {
		if err := v.CheckPath(d, c); err != nil {
			return fmt.Errorf("replica %d: %w", c.GetReplica(), err)
		}
		k := keyOf(c.Replica, c.Root, c.LeafCount, c.Sig)
		if v.roots.Has(k) {
			continue
		}
		if v.failed.Has(k) {
			return fmt.Errorf("tsproof: bad root signature from replica %d (known)", c.Replica)
		}
		items = append(items, crypto.Item{Replica: c.Replica, Msg: RootBytes(v.c.Cluster(), c.Replica, c.Root, c.LeafCount), Sig: c.Sig})
		keys = append(keys, k)
	}
	if len(items) == 0 {
		return nil
	}
	v.checked.Add(uint64(len(items)))
	ok, valid := v.c.VerifyBatch(items)
	if !ok {
		var bad error
		for i, good := range valid {
			if good {
				v.roots.Add(keys[i])
				continue
			}
			v.failed.Add(keys[i])
			if bad == nil {
				bad = fmt.Errorf("tsproof: bad root signature from replica %d", items[i].Replica)
			}
		}
		if bad == nil {
			bad = errors.New("tsproof: root signatures failed")
		}
		return bad
	}
	for _, k := range keys {
		v.roots.Add(k)
	}
	return nil
}

// VerifyProof checks a sequence proof for batch d claiming timestamp ts:
// exactly 2f+1 certificates from distinct genesis replicas, all valid, and
// ts equal to their median (index f).
func (v *Verifier) VerifyProof(d []byte, ts int64, p *wire.SequenceProof) error {
	if p == nil {
		return errors.New("tsproof: missing proof")
	}
	q, f := v.c.Quorum(), v.c.F()
	if len(p.Certs) != q {
		return fmt.Errorf("tsproof: proof has %d timestamps, needs exactly %d", len(p.Certs), q)
	}
	seen := crypto.NewBitmap(v.c.N())
	vals := make([]int64, 0, q)
	for _, c := range p.Certs {
		if c == nil || int(c.Replica) >= v.c.N() {
			return errors.New("tsproof: timestamp from an unknown replica")
		}
		if seen.Has(int(c.Replica)) {
			return fmt.Errorf("tsproof: replica %d appears twice", c.Replica)
		}
		seen.Set(int(c.Replica))
		vals = append(vals, c.Ts)
	}
	if m := Median(vals, f); m != ts {
		return fmt.Errorf("tsproof: timestamp %d is not the median %d", ts, m)
	}
	return v.VerifyCerts(d, p.Certs)
}
