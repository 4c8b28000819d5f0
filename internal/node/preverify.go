package node

import (
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/ordering"
	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/internal/tsproof"
)

// preverifyQueue bounds the messages between a pre-verification stage and
// the loop.
const preverifyQueue = 4096

// preverify sits between the transport and the loop: one goroutine for
// replica messages and one for client messages check the signatures those
// messages carry (certificates, proof roots) against the same caches the
// state machine uses, then pass the messages on unchanged and in order. The
// state machine still checks everything; it just finds the expensive part
// cached, and signature checking runs on other cores than the loop.
type preverify struct {
	peer   chan transport.Inbound
	client chan transport.ClientInbound
}

func (n *Node) startPreverify(done <-chan struct{}) *preverify {
	p := &preverify{
		peer:   make(chan transport.Inbound, preverifyQueue),
		client: make(chan transport.ClientInbound, preverifyQueue),
	}
	committee, scheme, ver := n.committee, crypto.Ed25519Quorum{C: n.committee}, n.verifier
	go func() {
		defer close(p.peer)
		for m := range n.tr.Inbound() {
			hotstuff.PreVerify(committee, scheme, m.Msg)
			if ver != nil {
				ordering.PreVerifyPayload(ver, m.Msg)
			}
			select {
			case p.peer <- m:
			case <-done:
				return
			}
		}
	}()
	go func() {
		defer close(p.client)
		for m := range n.tr.ClientInbound() {
			if ver != nil {
				ordering.PreVerifyClient(ver, m.Msg)
			}
			select {
			case p.client <- m:
			case <-done:
				return
			}
		}
	}()
	return p
}

// verifierFor is the proof verifier shared by the ordering layer and the
// pre-verification stage (nil in baseline mode).
func verifierFor(mode string, c *crypto.Committee) *tsproof.Verifier {
	if mode != "pompe" {
		return nil
	}
	return tsproof.NewVerifier(c, 1<<16)
}
