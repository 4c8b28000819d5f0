package crypto

import (
	"crypto/ed25519"
	"encoding/binary"
)

// Signature domains. Each purpose has its own, so that no signature can be
// replayed as another kind of statement.
const (
	DomainVote     = "pompe/vote"
	DomainTimeout  = "pompe/timeout"
	DomainProposal = "pompe/proposal"
	DomainTSLeaf   = "pompe/ts"
	DomainTSRoot   = "pompe/ts-root"
	DomainCollect  = "pompe/collect"
	DomainBatch    = "pompe/batch" // a client's baseline batch
)

// SigningBytes is the exact byte string signed for (domain, cluster, parts):
// each element is length-prefixed, so no two different tuples share an
// encoding.
func SigningBytes(domain string, cluster []byte, parts ...[]byte) []byte {
	n := 4 + len(domain) + 4 + len(cluster)
	for _, p := range parts {
		n += 4 + len(p)
	}
	b := make([]byte, 0, n)
	b = appendPart(b, []byte(domain))
	b = appendPart(b, cluster)
	for _, p := range parts {
		b = appendPart(b, p)
	}
	return b
}

func appendPart(b, p []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...)
}

// U64 encodes v big-endian, for use as a signed part.
func U64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// I64 encodes v big-endian, for use as a signed part.
func I64(v int64) []byte { return U64(uint64(v)) }

// U32 encodes v big-endian, for use as a signed part.
func U32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// Signer signs statements of one cluster with one key.
type Signer struct {
	key     PrivateKey
	cluster []byte
}

// NewSigner binds key to cluster.
func NewSigner(key PrivateKey, cluster []byte) *Signer {
	return &Signer{key: key, cluster: append([]byte(nil), cluster...)}
}

// Sign signs (domain, cluster, parts...).
func (s *Signer) Sign(domain string, parts ...[]byte) []byte {
	opsSigned.Add(1)
	return ed25519.Sign(s.key.key, SigningBytes(domain, s.cluster, parts...))
}

// Public returns the signer's public key.
func (s *Signer) Public() PublicKey { return s.key.Public() }

// VerifyClient checks a signature by a key outside the committee (a
// client's) on (domain, cluster, parts...).
func VerifyClient(pub PublicKey, sig []byte, domain string, cluster []byte, parts ...[]byte) bool {
	if len(pub) != PublicKeyBytes || len(sig) != SignatureBytes {
		return false
	}
	opsVerified.Add(1)
	return ed25519.Verify(ed25519.PublicKey(pub), SigningBytes(domain, cluster, parts...), sig)
}
