package replica

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/mempool"
	"github.com/pompe-bft/pompe/internal/ordering"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Mode selects the payload rules.
type Mode string

const (
	ModePompe    Mode = "pompe"
	ModeBaseline Mode = "hotstuff"
)

// Config parameterizes a replica. Consensus and Mempool hold the tuning;
// identity fields are filled from the top-level ones.
type Config struct {
	ID        uint32
	Committee *crypto.Committee
	Key       crypto.PrivateKey
	Mode      Mode
	Logger    *slog.Logger

	Consensus hotstuff.Config
	Mempool   mempool.Config
	Ordering  ordering.Config
}

// Ready is what the driver must do after a batch of inputs, in this order:
// persist Writes (synced), send Messages and Client, execute Committed.
type Ready struct {
	Writes    storage.Batch
	Messages  []hotstuff.Envelope
	Client    []outbox.ClientEnvelope
	Committed []outbox.ExecBlock
	// Resend lists executed batches whose Executed reply a client asked for
	// again; the driver answers from the executor's reply cache.
	Resend []outbox.Resend
	// Barrier: Writes hold state that Early messages (to clients and
	// replicas) of this and later Readies depend on; see
	// outbox.ClientEnvelope.Early and hotstuff.Envelope.Early.
	Barrier   bool
	Violation error
	// Events are the consensus core's operator-facing events (view
	// changes, catch-up) for the driver to log.
	Events hotstuff.Events
}

// Empty reports whether there is nothing to do.
func (rd *Ready) Empty() bool {
	return rd.Writes.Empty() && len(rd.Messages) == 0 && len(rd.Client) == 0 && len(rd.Committed) == 0 && len(rd.Resend) == 0 && rd.Violation == nil
}

// rules is what the replica needs of a payload rule set beyond
// hotstuff.PayloadRules.
type rules interface {
	hotstuff.PayloadRules
	Tick(now int64)
	WakeAt() int64
}

// Replica is one replica's state machine.
type Replica struct {
	cfg   Config
	core  *hotstuff.Core
	pool  *mempool.Mempool
	ord   *ordering.Orderer
	rul   rules
	out   outbox.Outbox
	store storage.Store
}

// New builds a replica, recovering from store.
func New(cfg Config, store storage.Store) (*Replica, error) {
	if cfg.Committee == nil || cfg.Key.IsZero() {
		return nil, errors.New("replica: config needs committee and key")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Replica{cfg: cfg, store: store}
	switch cfg.Mode {
	case ModeBaseline, "":
		mc := cfg.Mempool
		mc.Self, mc.N, mc.Cluster = cfg.ID, cfg.Committee.N(), cfg.Committee.Cluster()
		if mc.RetentionBlocks == 0 {
			mc.RetentionBlocks = cfg.Consensus.RetentionBlocks
		}
		r.pool = mempool.New(mc, store, &r.out)
		r.rul = r.pool
	case ModePompe:
		oc := cfg.Ordering
		oc.Self, oc.Committee = cfg.ID, cfg.Committee
		oc.Signer = crypto.NewSigner(cfg.Key, cfg.Committee.Cluster())
		if oc.RetentionBlocks == 0 {
			oc.RetentionBlocks = cfg.Consensus.RetentionBlocks
		}
		ord, err := ordering.New(oc, store, &r.out)
		if err != nil {
			return nil, err
		}
		r.ord = ord
		r.rul = ord
	default:
		return nil, fmt.Errorf("replica: mode %q not supported", cfg.Mode)
	}
	hc := cfg.Consensus
	hc.ID = cfg.ID
	hc.Committee = cfg.Committee
	hc.Signer = crypto.NewSigner(cfg.Key, cfg.Committee.Cluster())
	hc.Scheme = crypto.Ed25519Quorum{C: cfg.Committee}
	hc.Rules = r.rul
	hc.Logger = cfg.Logger
	core, err := hotstuff.New(hc, store)
	if err != nil {
		return nil, err
	}
	r.core = core
	if r.pool != nil {
		r.pool.SetTree(core)
	}
	if r.ord != nil {
		r.ord.SetTree(core)
	}
	return r, nil
}

// Core exposes the consensus core (read-only use: metrics, tests).
func (r *Replica) Core() *hotstuff.Core { return r.core }

// Step handles a message from replica from.
func (r *Replica) Step(now int64, from uint32, m *wire.Message) error {
	if r.ord != nil {
		switch m.Body.(type) {
		case *wire.Message_Collect:
			// The certificate that opened the collect's view comes first: a
			// replica answers a collect only in its current view.
			if cert := m.GetCollect().GetViewCert(); cert != nil {
				if err := r.core.Step(now, from, &wire.Message{Body: &wire.Message_Sync{Sync: cert}}); err != nil {
					return err
				}
			}
			err := r.ord.Step(now, from, m)
			r.core.Poke(now)
			return err
		case *wire.Message_CollectReply, *wire.Message_SequencedRequest,
			*wire.Message_SequencedResponse, *wire.Message_BatchRequest, *wire.Message_BatchResponse:
			err := r.ord.Step(now, from, m)
			r.core.Poke(now)
			return err
		}
	}
	switch body := m.Body.(type) {
	case *wire.Message_BatchRequest:
		if r.pool == nil {
			return nil
		}
		r.pool.OnRequest(now, from, body.BatchRequest)
		return nil
	case *wire.Message_BatchResponse:
		if r.pool == nil {
			return nil
		}
		r.pool.OnResponse(now, body.BatchResponse)
		r.core.Poke(now)
		return nil
	}
	return r.core.Step(now, from, m)
}

// StepClient handles a message from an authenticated client.
func (r *Replica) StepClient(now int64, from crypto.ClientID, m *wire.ClientMessage) error {
	if r.ord != nil {
		err := r.ord.StepClient(now, from, m)
		r.core.Poke(now)
		return err
	}
	switch body := m.Body.(type) {
	case *wire.ClientMessage_Submit:
		if r.pool == nil {
			return errors.New("replica: submit is for baseline mode")
		}
		err := r.pool.Submit(now, from, body.Submit.Batch)
		r.core.Poke(now)
		return err
	default:
		return fmt.Errorf("replica: unexpected client message %T", m.Body)
	}
}

// Tick tells the replica that time passed.
func (r *Replica) Tick(now int64) {
	r.rul.Tick(now)
	r.core.Tick(now)
}

// WakeAt is when the replica next needs a Tick (0: no deadline).
func (r *Replica) WakeAt() int64 {
	a, b := r.core.WakeAt(), r.rul.WakeAt()
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// Ready drains the effects of the inputs so far.
func (r *Replica) Ready() Ready {
	if r.ord != nil {
		r.ord.Flush()
	}
	crd := r.core.Ready()
	rd := Ready{
		Writes:    crd.Writes,
		Messages:  append(crd.Messages, r.out.Messages...),
		Client:    r.out.Client,
		Committed: r.out.Committed,
		Resend:    r.out.Resend,
		Barrier:   r.out.Barrier,
		Violation: crd.Violation,
		Events:    crd.Events,
	}
	rd.Writes.Append(&r.out.Writes)
	r.out = outbox.Outbox{}
	return rd
}

// Resume hands the payload rules every committed block above height
// executed (what the execution snapshot covers), in order, as if they had
// just committed: they come out of Ready.Committed once their batch bodies
// are present (fetched from peers when a crash lost them). A restarted node
// calls it once, before its first input.
func (r *Replica) Resume(executed uint64) error {
	top := r.core.CommittedHeight()
	cluster, n := r.cfg.Committee.Cluster(), r.cfg.Committee.N()
	for h := executed + 1; h <= top; h++ {
		b, err := hotstuff.LoadCommitted(r.store, cluster, n, h)
		if err != nil {
			return err
		}
		if b == nil {
			return fmt.Errorf("replica: committed block at height %d is pruned before it was executed; raise storage.retention_blocks", h)
		}
		r.rul.Committed(b)
	}
	return nil
}

// Pending reports whether the payload rules hold work.
func (r *Replica) Pending() bool { return r.rul.Pending() }

// String summarizes the replica's state for logs and debugging.
func (r *Replica) String() string { return r.core.String() + " | " + fmt.Sprint(r.rul) }
