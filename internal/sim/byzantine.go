package sim

import (
	"slices"

	"github.com/pompe-bft/pompe/internal/byzantine"
	"github.com/pompe-bft/pompe/internal/replica"
	"github.com/pompe-bft/pompe/internal/wire"
)

// misbehave gives a Byzantine replica its transformer of outgoing
// messages (internal/byzantine, the same code real `pompe node` processes
// run with --byzantine), driven by the cluster's seeded random source.
func (c *cluster) misbehave(n *simNode, colluders []uint32) error {
	t, err := byzantine.New(byzantine.Config{
		Kind: n.behavior, Self: n.id, Key: n.key, Committee: c.committee,
		Pompe:     c.opts.Mode == replica.ModePompe,
		Leader:    func(view uint64) uint32 { return n.r.Core().Leader(view) },
		Rand:      c.rng,
		Colluders: slices.DeleteFunc(slices.Clone(colluders), func(id uint32) bool { return id == n.id }),
	})
	if err != nil {
		return err
	}
	n.byz = t
	return nil
}

// outgoing is what a replica sends to replica to instead of m.
func (n *simNode) outgoing(to uint32, m *wire.Message) []*wire.Message {
	if n.byz == nil {
		return []*wire.Message{m}
	}
	return n.byz.Out(to, m)
}
