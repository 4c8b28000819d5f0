package node

import (
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/ordering"
	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// preverifyQueue bounds the messages between a pre-verification stage and
// the loop. Their bytes are bounded by the transport's inbound budgets,
// which they hold until the loop releases them.
const preverifyQueue = 4096

// Pre-verification checks the signatures a message carries (certificates,
// proposal and collect reply signatures, proof roots) against the same
// caches the state machine uses before the loop sees the message. The state
// machine still checks everything; it just finds the expensive part cached,
// and signature checking runs on other cores than the loop. Replica
// messages are checked on each peer connection's reading goroutine
// (peerInspector, transport.Config.InspectPeer), which saves a goroutine
// handoff per message; client messages pass through one goroutine (below),
// which also reports failed proofs to the transport.
type preverify struct {
	client chan transport.ClientInbound
}

// peerInspector pre-verifies one replica message (see preverify).
func peerInspector(committee *crypto.Committee, ver *tsproof.Verifier) func(from uint32, m *wire.Message) {
	scheme := crypto.Ed25519Quorum{C: committee}
	return func(from uint32, m *wire.Message) {
		hotstuff.PreVerify(committee, scheme, from, m)
		if ver != nil {
			ordering.PreVerifyPayload(committee, ver, m)
		}
	}
}

func (n *Node) startPreverify(done <-chan struct{}) *preverify {
	p := &preverify{
		client: make(chan transport.ClientInbound, preverifyQueue),
	}
	ver := n.verifier
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
