package crypto

import (
	"bytes"
	"testing"
)

// seededKey derives a deterministic key from one byte, so tests and
// benchmarks are reproducible.
func seededKey(t testing.TB, b byte) PrivateKey {
	t.Helper()
	k, err := KeyFromSeed(bytes.Repeat([]byte{b}, SeedBytes))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type testCluster struct {
	committee *Committee
	signers   []*Signer
}

var testClusterID = []byte("test-cluster")

// newTestCluster builds a committee of n replicas with seeded keys.
func newTestCluster(t testing.TB, n int) testCluster {
	return newTestClusterWithID(t, n, testClusterID)
}

func newTestClusterWithID(t testing.TB, n int, id []byte) testCluster {
	t.Helper()
	var tc testCluster
	pubs := make([]PublicKey, n)
	for i := range n {
		k := seededKey(t, byte(i+1))
		pubs[i] = k.Public()
		tc.signers = append(tc.signers, NewSigner(k, id))
	}
	c, err := NewCommittee(id, pubs)
	if err != nil {
		t.Fatal(err)
	}
	tc.committee = c
	return tc
}
