package crypto

import (
	"crypto/sha256"
	"encoding/binary"
)

// SigCacheEntriesPerReplica bounds the verified-signature cache: each
// replica's signatures have their own set of at most this many 32-byte keys
// (64 KiB per replica, plus the map's overhead), so a Byzantine replica that
// signs many valid statements only evicts its own entries. At the bound the
// oldest key of that replica is forgotten; a forgotten signature is simply
// checked again when it comes back.
const SigCacheEntriesPerReplica = 2048

// sigKey names one signature on one exact byte string. The signer is not
// part of it because each signer has its own set.
func sigKey(msg, sig []byte) [32]byte {
	h := sha256.New()
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(msg)))
	h.Write(n[:])
	h.Write(msg)
	h.Write(sig)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// VerifyBytesCached is VerifyBytes that remembers success: a signature that
// verified once on exactly these bytes by this replica is not checked again.
// Only successes are remembered, so the answer is always the one VerifyBytes
// would give (ed25519 verification is deterministic under the pinned
// options); the cache saves time, never changes a verdict. It is for
// signatures that reach a replica more than once (a collect reply at the
// leader and again in its slot; a slot checked off the state machine first).
func (c *Committee) VerifyBytesCached(replica uint32, sig, msg []byte) bool {
	if int(replica) >= len(c.keys) || len(sig) != SignatureBytes {
		return false
	}
	k := sigKey(msg, sig)
	if c.sigs[replica].Has(k) {
		return true
	}
	if !c.VerifyBytes(replica, sig, msg) {
		return false
	}
	c.sigs[replica].Add(k)
	return true
}

// VerifyCached is VerifyBytesCached on (domain, cluster, parts...).
func (c *Committee) VerifyCached(replica uint32, sig []byte, domain string, parts ...[]byte) bool {
	return c.VerifyBytesCached(replica, sig, SigningBytes(domain, c.cluster, parts...))
}

// VerifyBatchCached is VerifyBatch that skips the items already verified
// (see VerifyBytesCached) and remembers the ones that verify now.
func (c *Committee) VerifyBatchCached(items []Item) (ok bool, valid []bool) {
	valid = make([]bool, len(items))
	keys := make([][32]byte, len(items))
	rest := make([]Item, 0, len(items))
	restAt := make([]int, 0, len(items))
	for i, it := range items {
		if int(it.Replica) >= len(c.keys) || len(it.Sig) != SignatureBytes {
			rest, restAt = append(rest, it), append(restAt, i) // fails in VerifyBatch
			continue
		}
		keys[i] = sigKey(it.Msg, it.Sig)
		if c.sigs[it.Replica].Has(keys[i]) {
			valid[i] = true
			continue
		}
		rest, restAt = append(rest, it), append(restAt, i)
	}
	ok, restValid := c.VerifyBatch(rest)
	for j, i := range restAt {
		valid[i] = restValid[j]
		if valid[i] {
			c.sigs[items[i].Replica].Add(keys[i])
		}
	}
	return ok, valid
}
