package crypto

import (
	"crypto/sha256"
	"errors"
	"fmt"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"

	"github.com/pompe-bft/pompe/internal/bounded"
)

// verifyOptions pins one acceptance rule (ZIP-215) for single and batch
// verification alike, so every replica accepts exactly the same signatures
// however it happens to check them.
var verifyOptions = &voi.Options{Verify: voi.VerifyOptionsZIP_215}

// Committee is the genesis set of replica keys of one cluster. It verifies
// replica signatures singly and in batches. It is safe for concurrent use.
type Committee struct {
	cluster []byte
	pubs    []PublicKey
	keys    []*voi.ExpandedPublicKey
	f       int

	certs *bounded.SyncSet[[32]byte]   // digests of certificates that verified
	sigs  []*bounded.SyncSet[[32]byte] // per signer: signatures that verified (sigcache.go)
}

// CertCacheEntries bounds the cache of verified certificates.
const CertCacheEntries = 4096

// SizeRule states the only committee sizes there are, for error messages.
const SizeRule = "n must be 3f+1 (1, 4, 7, 10, 13, ...)"

// FaultsTolerated returns f for a committee of n = 3f+1 replicas, and an
// error naming the rule for any other n. It is the single place where f is
// derived from n: quorums (2f+1), the median index (f) and proof sizes all
// come from it through a Committee.
//
// Any other n is refused rather than rounded down: with f = (n-1)/3 and a
// quorum of 2f+1, n = 6 has the two disjoint quorums {0,1,2} and {3,4,5},
// so two conflicting certificates for one view would both verify, and at
// n = 2 or 3 a single replica would be a quorum.
func FaultsTolerated(n int) (int, error) {
	if n <= 0 || (n-1)%3 != 0 {
		return 0, fmt.Errorf("%s: got n = %d", SizeRule, n)
	}
	return (n - 1) / 3, nil
}

// NewCommittee builds a committee of n = len(pubs) replicas; n must be 3f+1
// for some f >= 0 (see FaultsTolerated).
func NewCommittee(cluster []byte, pubs []PublicKey) (*Committee, error) {
	if len(pubs) == 0 {
		return nil, errors.New("crypto: committee has no replicas")
	}
	f, err := FaultsTolerated(len(pubs))
	if err != nil {
		return nil, fmt.Errorf("crypto: committee of %d replicas: %w", len(pubs), err)
	}
	c := &Committee{
		cluster: append([]byte(nil), cluster...),
		f:       f,
		certs:   bounded.NewSyncSet[[32]byte](CertCacheEntries),
	}
	seen := make(map[string]int, len(pubs))
	for i, p := range pubs {
		if len(p) != PublicKeyBytes {
			return nil, fmt.Errorf("crypto: replica %d public key is %d bytes", i, len(p))
		}
		if j, dup := seen[string(p)]; dup {
			return nil, fmt.Errorf("crypto: replicas %d and %d share a public key", j, i)
		}
		seen[string(p)] = i
		k, err := voi.NewExpandedPublicKey(voi.PublicKey(p))
		if err != nil {
			return nil, fmt.Errorf("crypto: replica %d public key: %w", i, err)
		}
		c.pubs = append(c.pubs, append(PublicKey(nil), p...))
		c.keys = append(c.keys, k)
		c.sigs = append(c.sigs, bounded.NewSyncSet[[32]byte](SigCacheEntriesPerReplica))
	}
	return c, nil
}

// N is the number of replicas.
func (c *Committee) N() int { return len(c.pubs) }

// F is the number of faults tolerated.
func (c *Committee) F() int { return c.f }

// Quorum is the size of a quorum, 2f+1.
func (c *Committee) Quorum() int { return 2*c.f + 1 }

// Cluster returns the cluster id the committee signs for.
func (c *Committee) Cluster() []byte { return c.cluster }

// PublicKey returns replica i's key, or nil for an unknown replica.
func (c *Committee) PublicKey(i uint32) PublicKey {
	if int(i) >= len(c.pubs) {
		return nil
	}
	return c.pubs[i]
}

// IndexOf finds the replica holding pub.
func (c *Committee) IndexOf(pub PublicKey) (uint32, bool) {
	for i, p := range c.pubs {
		if string(p) == string(pub) {
			return uint32(i), true
		}
	}
	return 0, false
}

// Verify checks replica's signature on (domain, cluster, parts...).
func (c *Committee) Verify(replica uint32, sig []byte, domain string, parts ...[]byte) bool {
	return c.VerifyBytes(replica, sig, SigningBytes(domain, c.cluster, parts...))
}

// VerifyBytes checks replica's signature on already built signing bytes.
func (c *Committee) VerifyBytes(replica uint32, sig, msg []byte) bool {
	if int(replica) >= len(c.keys) || len(sig) != SignatureBytes {
		return false
	}
	opsVerified.Add(1)
	return voi.VerifyExpandedWithOptions(c.keys[replica], msg, sig, verifyOptions)
}

// Item is one signature to check in a batch.
type Item struct {
	Replica uint32
	Msg     []byte // signing bytes
	Sig     []byte
}

// VerifyBatch checks all items together. When the batch fails it falls back
// to individual checks; valid then tells which items are good. Items naming
// an unknown replica or with a malformed signature are invalid.
func (c *Committee) VerifyBatch(items []Item) (ok bool, valid []bool) {
	switch len(items) {
	case 0:
		return true, nil
	case 1:
		v := c.VerifyBytes(items[0].Replica, items[0].Sig, items[0].Msg)
		return v, []bool{v}
	}
	opsVerified.Add(uint64(len(items)))
	bv := voi.NewBatchVerifierWithCapacity(len(items))
	valid = make([]bool, len(items))
	pre := true
	for _, it := range items {
		if int(it.Replica) >= len(c.keys) || len(it.Sig) != SignatureBytes {
			pre = false
			// Keep indexes aligned: add a signature that fails on its own.
			bv.AddExpandedWithOptions(c.keys[0], nil, make([]byte, SignatureBytes), verifyOptions)
			continue
		}
		bv.AddExpandedWithOptions(c.keys[it.Replica], it.Msg, it.Sig, verifyOptions)
	}
	all, res := bv.Verify(nil)
	copy(valid, res)
	for i, it := range items {
		if int(it.Replica) >= len(c.keys) || len(it.Sig) != SignatureBytes {
			valid[i] = false
		}
	}
	return all && pre, valid
}

func certKey(msg, signers []byte, sigs [][]byte) [32]byte {
	h := sha256.New()
	h.Write(msg)
	h.Write([]byte{0})
	h.Write(signers)
	for _, s := range sigs {
		h.Write(U32(uint32(len(s))))
		h.Write(s)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}
