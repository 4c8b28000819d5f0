package crypto

import (
	"crypto/sha256"
	"testing"

	"github.com/pompe-bft/pompe/internal/bounded"
)

func BenchmarkSign(b *testing.B) {
	s := newTestCluster(b, 1).signers[0]
	hash := make([]byte, 32)
	for b.Loop() {
		s.Sign(DomainVote, U64(1), hash)
	}
}

func BenchmarkVerify(b *testing.B) {
	tc := newTestCluster(b, 4)
	hash := make([]byte, 32)
	sig := tc.signers[2].Sign(DomainVote, U64(1), hash)
	for b.Loop() {
		if !tc.committee.Verify(2, sig, DomainVote, U64(1), hash) {
			b.Fatal("rejected")
		}
	}
}

// benchVerifyBatch verifies n signatures of distinct replicas in one batch,
// in the smallest committee of 3f+1 replicas that has n members.
func benchVerifyBatch(b *testing.B, n int) {
	tc := newTestCluster(b, n+(3-(n-1)%3)%3)
	items := make([]Item, n)
	for i := range n {
		msg := U64(uint64(i))
		items[i] = Item{Replica: uint32(i), Msg: SigningBytes(DomainTSRoot, testClusterID, msg), Sig: tc.signers[i].Sign(DomainTSRoot, msg)}
	}
	b.ResetTimer()
	for b.Loop() {
		if ok, _ := tc.committee.VerifyBatch(items); !ok {
			b.Fatal("rejected")
		}
	}
}

func BenchmarkVerifyBatch3(b *testing.B)   { benchVerifyBatch(b, 3) }
func BenchmarkVerifyBatch100(b *testing.B) { benchVerifyBatch(b, 100) }

func benchQuorum(b *testing.B, cached bool) {
	tc := newTestCluster(b, 4)
	q := Ed25519Quorum{C: tc.committee}
	bm, sigs, err := q.Combine(partials(tc, 0, 1, 2))
	if err != nil {
		b.Fatal(err)
	}
	if err := q.VerifyQuorum(qcMsg, bm, sigs, 3); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if !cached {
			b.StopTimer()
			q.C.certs = bounded.NewSyncSet[[32]byte](CertCacheEntries)
			b.StartTimer()
		}
		if err := q.VerifyQuorum(qcMsg, bm, sigs, 3); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyQuorumCold(b *testing.B)   { benchQuorum(b, false) }
func BenchmarkVerifyQuorumCached(b *testing.B) { benchQuorum(b, true) }

func BenchmarkVerifyBatch12(b *testing.B) { benchVerifyBatch(b, 12) }
func BenchmarkVerifyBatch32(b *testing.B) { benchVerifyBatch(b, 32) }

// BenchmarkSHA256PerKiB is the hashing floor: batch digests, Merkle leaves
// and block hashes all cost this per KiB hashed.
func BenchmarkSHA256PerKiB(b *testing.B) {
	buf := make([]byte, 1024)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		_ = sha256.Sum256(buf)
	}
}
