package node

import (
	"math/rand/v2"

	"github.com/pompe-bft/pompe/internal/byzantine"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/wire"
)

// openByzantine makes this replica misbehave as opts asks: a test-only
// mode (see internal/byzantine) that turns a correct replica into one of
// the f Byzantine replicas the protocol must tolerate.
func (n *Node) openByzantine(opts Options) error {
	if opts.Byzantine == "" {
		return nil
	}
	self := uint32(n.home.Index)
	t, err := byzantine.New(byzantine.Config{
		Kind: opts.Byzantine, Self: self, Key: n.home.Key, Committee: n.committee,
		Pompe:   n.home.Genesis.Mode == config.ModePompe,
		Leader:  func(view uint64) uint32 { return n.r.Core().Leader(view) },
		Rand:    rand.New(rand.NewPCG(uint64(self)+1, 0x62797a)),
		Targets: opts.ByzantineTargets,
	})
	if err != nil {
		return err
	}
	n.byz = t
	n.log.Warn("BYZANTINE TEST MODE: this replica deliberately misbehaves; never run it in production",
		"kind", opts.Byzantine, "targets", len(opts.ByzantineTargets))
	return nil
}

// byzantineIn lets a Byzantine replica react to a received message; what
// it sends because of it leaves with the turn's messages.
func (n *Node) byzantineIn(from uint32, m *wire.Message) {
	for _, e := range n.byz.In(from, m) {
		n.byzExtra = append(n.byzExtra, hotstuff.Envelope{To: int(e.To), Msg: e.Msg})
	}
}

// byzantineOut rewrites a turn's outgoing messages. Broadcasts become one
// message per replica, since a Byzantine replica may tell each a different
// story.
func (n *Node) byzantineOut(o *outgoing) {
	msgs := make([]hotstuff.Envelope, 0, len(o.messages)+len(n.byzExtra))
	msgs = append(msgs, n.byzExtra...)
	n.byzExtra = n.byzExtra[:0]
	add := func(to uint32, m *wire.Message) {
		for _, out := range n.byz.Out(to, m) {
			msgs = append(msgs, hotstuff.Envelope{To: int(to), Msg: out})
		}
	}
	self := uint32(n.home.Index)
	for _, e := range o.messages {
		if e.To != hotstuff.Broadcast {
			add(uint32(e.To), e.Msg)
			continue
		}
		for i := range n.committee.N() {
			if uint32(i) != self {
				add(uint32(i), e.Msg)
			}
		}
	}
	o.messages = msgs
	clients := make([]outbox.ClientEnvelope, 0, len(o.client))
	for _, e := range o.client {
		if m := n.byz.Client(e.To, e.Msg); m != nil {
			clients = append(clients, outbox.ClientEnvelope{To: e.To, Msg: m})
		}
	}
	o.client = clients
}
