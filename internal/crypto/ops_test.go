package crypto

import "testing"

// The counters are process-wide; this test is not parallel, and no test of
// the package is, so the deltas it reads are its own.
func TestOpsCountSignaturesAndChecks(t *testing.T) {
	tc := newTestCluster(t, 4)
	msg := SigningBytes(DomainVote, testClusterID, []byte("m"))
	before := Ops()
	sigs := make([][]byte, 3)
	for i := range sigs {
		sigs[i] = tc.signers[i].Sign(DomainVote, []byte("m"))
	}
	tc.committee.VerifyBytes(0, sigs[0], msg)
	items := []Item{{0, msg, sigs[0]}, {1, msg, sigs[1]}, {2, msg, sigs[2]}}
	tc.committee.VerifyBatch(items)
	bm := NewBitmap(4)
	for i := range 3 {
		bm.Set(i)
	}
	q := Ed25519Quorum{C: tc.committee}
	if err := q.VerifyQuorum(msg, bm, sigs, 3); err != nil {
		t.Fatal(err)
	}
	if err := q.VerifyQuorum(msg, bm, sigs, 3); err != nil { // cached: no check
		t.Fatal(err)
	}
	after := Ops()
	if got := after.Signed - before.Signed; got != 3 {
		t.Errorf("signed %d, want 3", got)
	}
	if got := after.Verified - before.Verified; got != 1+3+3 {
		t.Errorf("verified %d, want 7", got)
	}
}
