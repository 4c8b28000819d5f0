package byzantine

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/pompe-bft/pompe/internal/bounded"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Config describes the replica a Transformer corrupts.
type Config struct {
	Kind      Kind
	Self      uint32
	Key       crypto.PrivateKey
	Committee *crypto.Committee
	// Pompe selects the payload format a leader's proposals carry: Pompe
	// slots, or baseline digest lists (hotstuff mode).
	Pompe bool
	// Leader is the leader schedule (doublevote sends its votes to the
	// next view's leader).
	Leader func(view uint64) uint32
	// Rand drives garbage; the caller seeds it, so runs are reproducible.
	Rand *rand.Rand
	// Targets are the clients whose timestamps delay-ts delays; empty means
	// every client whose id hashes to an even number.
	Targets []crypto.ClientID
	// DelayUs is what delay-ts adds (default DefaultDelayUs).
	DelayUs int64
	// Colluders are the other misbehaving replicas. collect-f1 ignores f
	// replicas outside this set, so that its collect holds exactly f+1
	// correct replicas when every colluder answers.
	Colluders []uint32
}

// Lie sizes.
const (
	// FarUs is how far ts-past, ts-future and the future boundary move a
	// value: far beyond any clock skew.
	FarUs = 1_000_000_000
	// FutureBoundaryUs is how far a future leader moves its boundary.
	FutureBoundaryUs = 10_000_000
	// DefaultDelayUs is what delay-ts adds to its victims' timestamps.
	DefaultDelayUs = 500_000
	// memoryEntries bounds the per-digest memory of reverse-ts.
	memoryEntries = 1 << 16
)

// Transformer rewrites one replica's outgoing messages. It is not safe for
// concurrent use: call it from the goroutine that runs the replica.
type Transformer struct {
	cfg     Config
	signer  *crypto.Signer
	ignored []uint32 // collect-f1: replicas never asked to collect
	targets map[crypto.ClientID]struct{}

	rewritten map[*wire.Proposal]*wire.Message // the last corrupted proposal, so a broadcast is corrupted once
	corrupted int
	lastLie   int64                       // reverse-ts: the previous timestamp handed out
	lies      *bounded.Map[string, int64] // reverse-ts: digest -> its lie, so a repeat gets the same one
	imp       impersonation

	chain  [][]byte               // poison-reply: digests of recent slots
	proven []*wire.SequencedBatch // proof-flood: proven batches seen
}

// New checks cfg and returns its Transformer.
func New(cfg Config) (*Transformer, error) {
	if _, err := Parse(string(cfg.Kind)); err != nil {
		return nil, err
	}
	if cfg.Committee == nil {
		return nil, errors.New("byzantine: no committee")
	}
	n := cfg.Committee.N()
	if int(cfg.Self) >= n {
		return nil, fmt.Errorf("byzantine: replica %d outside a committee of %d", cfg.Self, n)
	}
	if (cfg.Kind == DoubleVote || cfg.Kind == FarCollect) && cfg.Leader == nil {
		return nil, errors.New("byzantine: doublevote needs the leader schedule")
	}
	if cfg.Kind == Garbage && cfg.Rand == nil {
		return nil, errors.New("byzantine: garbage needs a random source")
	}
	if cfg.DelayUs == 0 {
		cfg.DelayUs = DefaultDelayUs
	}
	t := &Transformer{cfg: cfg, signer: crypto.NewSigner(cfg.Key, cfg.Committee.Cluster()),
		lies: bounded.NewMap[string, int64](memoryEntries)}
	if len(cfg.Targets) > 0 {
		t.targets = make(map[crypto.ClientID]struct{}, len(cfg.Targets))
		for _, c := range cfg.Targets {
			t.targets[c] = struct{}{}
		}
	}
	t.ignored = ignoredBy(cfg.Self, n, cfg.Committee.F(), cfg.Colluders)
	return t, nil
}

// ignoredBy picks the f highest replicas that are neither self nor a
// colluder.
func ignoredBy(self uint32, n, f int, colluders []uint32) []uint32 {
	var out []uint32
	for i := n - 1; i >= 0 && len(out) < f; i-- {
		id := uint32(i)
		if id != self && !slices.Contains(colluders, id) {
			out = append(out, id)
		}
	}
	return out
}

// Kind is the misbehaviour.
func (t *Transformer) Kind() Kind { return t.cfg.Kind }

// Ignored lists the replicas a collect-f1 leader never asks to collect.
func (t *Transformer) Ignored() []uint32 { return slices.Clone(t.ignored) }

// Corrupted counts the proposals this replica rewrote as leader.
func (t *Transformer) Corrupted() int { return t.corrupted }

// Out returns what to send to replica to instead of m, in order: nothing
// (silent, or a collect-f1 leader skipping a replica), m itself, a rewrite,
// or garbage followed by m. A garbage frame is a Message whose encoding is
// the garbage (see Raw).
func (t *Transformer) Out(to uint32, m *wire.Message) []*wire.Message {
	switch k := t.cfg.Kind; {
	case k == Silent:
		return nil
	case k == Equivocate:
		return []*wire.Message{t.equivocate(to, m)}
	case k == Garbage:
		if t.cfg.Rand.IntN(3) == 0 {
			return []*wire.Message{t.garbage(m), m}
		}
	case k == CollectF1:
		if m.GetCollect() != nil && slices.Contains(t.ignored, to) {
			return nil
		}
	case k.slotKind():
		return []*wire.Message{t.corruptSlot(m)}
	case k == Impersonate:
		return []*wire.Message{t.impersonate(m)}
	case k == PoisonReply || k == ProofFlood:
		return []*wire.Message{t.orderingOut(m)}
	}
	return []*wire.Message{m}
}

// In sees a message this replica received and returns what it sends
// because of it, beside what the replica itself does: doublevote votes for
// every proposal.
func (t *Transformer) In(from uint32, m *wire.Message) []Envelope {
	switch t.cfg.Kind {
	case DoubleVote:
		return t.doubleVote(m)
	case Impersonate:
		return t.serveForged(from, m)
	case FarCollect, PoisonReply, ProofFlood, FetchAmplify:
		return t.orderingIn(from, m)
	}
	return nil
}

// Envelope is a message for one replica.
type Envelope struct {
	To  uint32
	Msg *wire.Message
}

// Client returns what to send to client to instead of m; nil means
// nothing.
func (t *Transformer) Client(to crypto.ClientID, m *wire.ClientMessage) *wire.ClientMessage {
	switch k := t.cfg.Kind; {
	case k == Silent:
		return nil
	case k.timestampKind():
		return t.lieTimestamp(to, m)
	case k == Impersonate:
		t.observeVictim(to, m)
	}
	return m
}
