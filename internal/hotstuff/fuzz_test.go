package hotstuff

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/wire"
)

// FuzzStep feeds decoded wire messages from any sender into a core that
// holds some state (a chain of two blocks, a QC): Step must never panic,
// and the core must still produce a Ready and accept a Tick. The seed corpus
// lives in testdata/fuzz/FuzzStep.
func FuzzStep(f *testing.F) {
	c, bs, qcs := votingFixture(f)
	f.Add(uint8(0), wire.Marshal(c.proposal(bs[1], nil)))
	f.Add(uint8(2), wire.Marshal(c.vote(2, bs[1])))
	f.Add(uint8(1), wire.Marshal(c.timeout(1, 1, qcs[1])))
	f.Add(uint8(2), wire.Marshal(c.proposal(c.block(2, 8, bs[1], qcs[1], nil), c.tc(4, 0, 1, 3))))
	f.Fuzz(func(t *testing.T, from uint8, data []byte) {
		m, err := wire.DecodeMessage(data)
		if err != nil {
			return
		}
		c, bs, _ := votingFixture(t)
		for v := 1; v <= 2; v++ {
			if _, err := c.stepOne(3, 0, c.proposal(bs[v], nil)); err != nil {
				t.Fatal(err)
			}
		}
		core := c.nodes[3].core
		_ = core.Step(c.now, uint32(from%5), m)
		c.collect(c.nodes[3])
		core.Tick(c.now + testViewTimeoutUs)
		c.collect(c.nodes[3])
		_ = core.String()
	})
}
