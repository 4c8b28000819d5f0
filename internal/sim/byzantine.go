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
	if n.behavior == Fuzz {
		return c.mutate(n)
	}
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

// outgoing is what a replica sends instead of m, meant for replica to.
func (n *simNode) outgoing(to uint32, m *wire.Message) []byzantine.Delivery {
	switch {
	case n.mut != nil:
		return n.mut.Out(to, m)
	case n.byz != nil:
		var out []byzantine.Delivery
		for _, alt := range n.byz.Out(to, m) {
			out = append(out, byzantine.Delivery{To: to, Msg: alt})
		}
		return out
	}
	return []byzantine.Delivery{{To: to, Msg: m}}
}
