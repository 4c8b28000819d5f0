package node

import (
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/ordering"
	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/internal/tsproof"
)

// preverifyQueue bounds the messages between a pre-verification stage and
// the loop. Their bytes are bounded by the transport's inbound budgets,
// which they hold until the loop releases them.
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
			hotstuff.PreVerify(committee, scheme, m.From, m.Msg)
			if ver != nil {
				ordering.PreVerifyPayload(committee, ver, m.Msg)
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
			// What ordering.PreVerifyClient does, keeping the verdict: a
			// correct client checks every certificate before it builds a
			// proof, so a failed proof is the client's fault, and the
			// transport disconnects a source that keeps sending them. The
			// verifier caches the failure, so the state machine's own check
			// of the same proof costs no signature verification.
			if r := m.Msg.GetSequenceRequest(); ver != nil && r != nil && r.Proof != nil {
				if err := ver.VerifyProof(r.Digest, r.Ts, r.Proof); err != nil {
					n.tr.ReportBadProof(m)
				}
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
