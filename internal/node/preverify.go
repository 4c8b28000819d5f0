package node

import (
	"net/netip"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/fairq"
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
	// The loop takes client messages one at a time from a channel of one:
	// the order they reach it is the fair queue's, not arrival order.
	p := &preverify{
		client: make(chan transport.ClientInbound, 1),
	}
	ver := n.verifier
	check := func(m transport.ClientInbound) {
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
	}
	go func() {
		defer close(p.client)
		runClientQueue(n.tr.ClientInbound(), p.client, done, check)
	}()
	return p
}

// Client messages wait for the loop in a fair queue per source prefix
// (package fairq): each prefix with messages waiting gets clientQuantum
// bytes of batches per round. Before, one FIFO of 4,096 messages served
// them in arrival order, and a correct client's request waited behind every
// 3.9 MB request a flooding client had queued (about 5 ms of hashing and
// decoding each on the loop): correct clients' ordering latency rose
// fourfold. The queue holds at most preverifyQueue messages and the bytes
// the transport's client inbound budget lets in (which they hold until the
// loop releases them); when it is full, no message is read from the
// transport until the loop takes one (back-pressure, nothing dropped).
const (
	clientQuantum     = 64 << 10
	clientMessageCost = 256 // what a message costs beyond its batch bytes
	clientQueueBytes  = 1 << 40
)

// runClientQueue moves messages from src to dst in fair order, calling
// check on each as it arrives, until src closes or done ends.
func runClientQueue(src <-chan transport.ClientInbound, dst chan<- transport.ClientInbound, done <-chan struct{}, check func(transport.ClientInbound)) {
	q := fairq.New[netip.Prefix, transport.ClientInbound](clientQuantum, preverifyQueue, clientQueueBytes)
	defer func() {
		for q.Len() > 0 {
			m, _ := q.Pop()
			m.Release()
		}
	}()
	for {
		in := src
		if q.Full(0) {
			in = nil // back-pressure: the transport holds what is not read
		}
		var out chan<- transport.ClientInbound
		head, ok := q.Peek()
		if ok {
			out = dst
		}
		select {
		case m, ok := <-in:
			if !ok {
				return
			}
			check(m)
			q.Push(m.Source(), m, clientWork(m.Msg)+clientMessageCost)
		case out <- head:
			q.Pop()
		case <-done:
			return
		}
	}
}

// verifierFor is the proof verifier shared by the ordering layer and the
// pre-verification stage (nil in baseline mode).
func verifierFor(mode string, c *crypto.Committee) *tsproof.Verifier {
	if mode != "pompe" {
		return nil
	}
	return tsproof.NewVerifier(c, 1<<16)
}
