package hotstuff

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

func checksDuring(f func()) uint64 {
	before := crypto.Ops().Verified
	f()
	return crypto.Ops().Verified - before
}

// TestPreVerifyLeavesNothingToCheck: after PreVerify saw a proposal (its
// signature and justify QC), the core handles it without checking a
// signature; a collect's view certificate is pre-verified the same way.
// Without PreVerify the same proposal costs the core its checks.
func TestPreVerifyLeavesNothingToCheck(t *testing.T) {
	// The test committee and its caches are shared by the package's tests,
	// and signatures are deterministic: payloads no other test uses keep
	// these blocks, QCs and signatures new to the caches.
	for i, pre := range []bool{false, true} {
		item := 7_770_000 + uint64(10*i)
		c := newCluster(t, 4, func(cfg *Config) { cfg.FixedLeader = 0 })
		g := c.genesis()
		b1 := c.block(0, 1, g, c.qc(0, g.Hash), encodeItems([]uint64{item}))
		qc1 := c.qc(1, b1.Hash, 0, 1, 2)
		b2 := c.block(0, 2, b1, qc1, encodeItems([]uint64{item + 1}))
		r := c.nodes[3]
		if err := r.core.Step(c.now, 0, c.proposal(b1, nil)); err != nil {
			t.Fatal(err)
		}
		p2 := c.proposal(b2, nil)
		sch := crypto.Ed25519Quorum{C: c.comm}
		if pre {
			collect := &wire.Message{Body: &wire.Message_Collect{Collect: &wire.Collect{View: 2, ViewCert: &wire.Sync{HighQc: qc1}}}}
			if n := checksDuring(func() { PreVerify(c.comm, sch, 0, collect) }); n != 3 {
				t.Errorf("pre-verifying a collect's view certificate checked %d signatures, want its QC's 3", n)
			}
			PreVerify(c.comm, sch, 0, p2)
		}
		n := checksDuring(func() {
			if err := r.core.Step(c.now, 0, p2); err != nil {
				t.Fatal(err)
			}
		})
		switch {
		case pre && n != 0:
			t.Errorf("after PreVerify the core checked %d signatures, want 0", n)
		case !pre && n != 1+3:
			t.Errorf("without PreVerify the core checked %d signatures, want 4 (proposal and QC)", n)
		}
	}
}
