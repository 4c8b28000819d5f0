package ordering

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/bodies"
	"github.com/pompe-bft/pompe/internal/bounded"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/servebudget"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Key layout (prefixes unique across pompe):
//
//	'T'              timestamp high-water mark (8 bytes)
//	'L'              localSyncTS promise mark, at least every promise made (8 bytes)
//	'Y' digest       SequencedBatch: a batch this replica acked, until committed
//
// Bodies of batches in validated or committed blocks are kept by package
// bodies, with the same layout as in baseline mode.
const (
	prefixHWM       = 'T'
	prefixLocalSync = 'L'
	prefixSequenced = 'Y'
)

// hwmStepUs is how far above the last timestamp the persisted high-water
// mark is raised, so that one synced write covers many timestamps.
const hwmStepUs = 1_000_000

// promiseStepUs is how far above a collect's boundary the persisted promise
// is raised when a boundary passes it (docs/protocol.md section 3.2.2), so
// that one synced write covers the collects of many views: the reply to a
// collect then waits for no sync of its own in all but about one view in
// ten. The price is paid only after a restart, when the replica promises
// the mark and refuses to sequence batches up to promiseStepUs newer than
// its last real promise (the other replicas ack them).
const promiseStepUs = 100_000

// body is a batch this replica received for timestamping.
type body struct {
	raw   []byte
	owner crypto.ClientID
	myTS  int64
	cert  *wire.TimestampCert // the reply sent, repeated for duplicate requests
	at    int64
	// fetched bodies came from another replica for validation or execution;
	// this replica gave them no timestamp.
	fetched bool
}

// entry is a sequenced batch with its proof.
type entry struct {
	d     batch.Digest
	ts    int64
	raw   []byte
	b     *wire.Batch
	proof *wire.SequenceProof
	owner crypto.ClientID // the batch's submitter (sequenced entries)
	// from and size account a proven batch learned from another replica
	// (leader side) against that replica's share.
	from uint32
	size int64
}

type windowReq struct {
	client crypto.ClientID
	d      batch.Digest
	ts     int64
}

type fetchState struct {
	askedAt int64
	tries   int
	hints   []uint32
	height  uint64 // height of the newest block that needs the body
}

// Orderer is the ordering layer of one replica.
type Orderer struct {
	cfg   Config
	tree  Tree
	store hotstuff.Reader
	out   *outbox.Outbox
	now   int64
	n, q  int
	f     int

	lastTS    int64
	hwm       int64
	localSync int64 // the promise made: no sequencing at or below it
	// promiseMark is the promise as persisted, at least localSync: a
	// replica that restarts promises the mark, which refuses more, never
	// less.
	promiseMark int64

	bodies   unsequenced
	window   []windowReq
	windowAt int64
	signedAt int64 // when the last window was signed

	sequenced map[batch.Digest]*entry // acked here, not yet committed
	seqBytes  int64
	seqCount  map[crypto.ClientID]int
	seqSize   map[crypto.ClientID]int64
	known     map[slotEntry]*entry    // proven batches learned from others (leader side)
	knownBody map[batch.Digest]*entry // any known entry by digest, for its body
	// knownCount and knownBytes are what each replica's entries hold of known.
	knownCount []int
	knownBytes []int64
	budgets    *servebudget.Budgets   // per replica, for the fetches it asks
	verified   *bounded.Set[[32]byte] // (d, ts, proof) triples whose proof verified
	stored     *bounded.Set[[32]byte] // digests whose body is in 'P'

	// recent remembers committed digests for this replica's own answers to
	// clients (re-acknowledging a late retry, refusing to timestamp a digest
	// again). It is a cache that a restart empties: no validity rule reads it.
	recent *bounded.Map[batch.Digest, int64] // committed digest -> ts

	windows []*chainSet // the last chain windows asked for

	slots      map[hotstuff.Hash]*slotInfo
	checked    map[hotstuff.Hash]bool // slots that passed all checks but bodies
	committedT int64                  // boundary of the newest committed slot

	// Replica side of collect.
	collectView  uint64
	collectReply *wire.CollectReply
	// waitCollect holds, per leader, a collect this replica cannot answer
	// yet (a view it is about to enter, a parent it is fetching).
	waitCollect map[uint32]*wire.Collect

	// Leader side of collect.
	round   *round
	delta   int64
	deltaAt int64 // when delta last adapted
	// buildWake is when a leader that waited for pending batches to age past
	// delta should build again.
	buildWake int64
	// missNeed is how much wider delta had to be for the neediest batch
	// that, by the evidence of a retry, missed its slot since the last
	// round; boundaries are the recent committed slot boundaries, rising.
	missNeed   int64
	boundaries []int64

	missing map[batch.Digest]*fetchState
	queue   []*hotstuff.Block
	pruner  bodies.Pruner
}

// New builds the ordering layer and recovers its durable state.
func New(cfg Config, store hotstuff.Reader, out *outbox.Outbox) (*Orderer, error) {
	cfg.setDefaults()
	o := &Orderer{
		cfg:         cfg,
		store:       store,
		out:         out,
		n:           cfg.Committee.N(),
		q:           cfg.Committee.Quorum(),
		f:           cfg.Committee.F(),
		bodies:      newUnsequenced(),
		sequenced:   make(map[batch.Digest]*entry),
		seqCount:    make(map[crypto.ClientID]int),
		seqSize:     make(map[crypto.ClientID]int64),
		known:       make(map[slotEntry]*entry),
		knownBody:   make(map[batch.Digest]*entry),
		verified:    bounded.NewSet[[32]byte](1 << 18),
		stored:      bounded.NewSet[[32]byte](1 << 18),
		recent:      bounded.NewMap[batch.Digest, int64](cfg.RecentCommitted),
		slots:       make(map[hotstuff.Hash]*slotInfo),
		checked:     make(map[hotstuff.Hash]bool),
		missing:     make(map[batch.Digest]*fetchState),
		waitCollect: make(map[uint32]*wire.Collect),
		knownCount:  make([]int, cfg.Committee.N()),
		knownBytes:  make([]int64, cfg.Committee.N()),
		budgets:     servebudget.New(cfg.Committee.N(), servebudget.Limits{MaxResponseBytes: cfg.MaxServeBytes, BytesPerSec: cfg.ServeBytesPerSec, BurstBytes: cfg.ServeBurstBytes}),
		delta:       cfg.DeltaUs,
		pruner:      bodies.Pruner{Retention: cfg.RetentionBlocks},
	}
	if err := o.recover(); err != nil {
		return nil, err
	}
	return o, nil
}

// SetTree connects the layer to the consensus core, which has recovered
// its state: the committed slot boundary comes back from the committed
// block, and sequenced batches it already passed are dropped (no later slot
// can hold them; before, they kept the core's view timers running in an
// idle cluster after a restart).
func (o *Orderer) SetTree(t Tree) {
	o.tree = t
	if b := t.Block(t.CommittedHash()); b != nil {
		if tb := o.boundaryOf(b); tb > o.committedT {
			o.committedT = tb
			o.noteCommittedBoundary(tb)
			o.dropStale()
		}
	}
}

func readI64(r hotstuff.Reader, key []byte) (int64, error) {
	v, err := r.Get(key)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("ordering: corrupt record %q", key)
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

func i64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

func (o *Orderer) recover() error {
	var err error
	if o.hwm, err = readI64(o.store, []byte{prefixHWM}); err != nil {
		return err
	}
	// Every timestamp handed out before the restart was at most the mark.
	o.lastTS = o.hwm
	// Every promise made before the restart was at most the mark.
	if o.localSync, err = readI64(o.store, []byte{prefixLocalSync}); err != nil {
		return err
	}
	o.promiseMark = o.localSync
	start, end := storage.PrefixRange(prefixSequenced)
	return o.store.Scan(start, end, func(k, v []byte) bool {
		var sb wire.SequencedBatch
		if proto.Unmarshal(v, &sb) != nil {
			return true
		}
		d := batch.DigestOf(sb.Batch)
		b, err := batch.Decode(sb.Batch, o.cfg.Limits)
		if err != nil {
			return true
		}
		o.addSequenced(&entry{d: d, ts: sb.Ts, raw: sb.Batch, b: b, proof: sb.Proof})
		return true
	})
}

// Pending reports sequenced batches waiting for a committed block.
func (o *Orderer) Pending() bool { return len(o.sequenced) > 0 || len(o.queue) > 0 }

// Carries reports whether a slot payload holds batches. The core asks it
// of the newest blocks after nearly every input (whether to keep the view
// timer armed, whether a leader must propose), so it reads only the top
// level of the encoding instead of decoding every proof of the slot; a
// payload whose top level does not parse carries nothing.
func (o *Orderer) Carries(payload []byte) bool {
	found := false
	for len(payload) > 0 {
		num, typ, n := protowire.ConsumeTag(payload)
		if n < 0 {
			return false
		}
		payload = payload[n:]
		if num == slotBatchesField && typ == protowire.BytesType {
			found = true
		}
		n = protowire.ConsumeFieldValue(num, typ, payload)
		if n < 0 {
			return false
		}
		payload = payload[n:]
	}
	return found
}

// slotBatchesField is the field number of wire.Slot.batches.
const slotBatchesField = 2

// WakeAt is when the layer next needs a Tick (0: none).
func (o *Orderer) WakeAt() int64 {
	var w int64
	min := func(t int64) {
		if w == 0 || t < w {
			w = t
		}
	}
	if len(o.window) > 0 && o.cfg.WindowUs > 0 {
		min(o.signedAt + o.cfg.WindowUs) // Flush closes it then
	}
	for _, f := range o.missing {
		min(f.askedAt + o.cfg.FetchRetryUs)
	}
	if o.round != nil && !o.round.done {
		min(o.round.askedAt + o.cfg.FetchRetryUs)
	}
	if o.buildWake > o.now {
		min(o.buildWake)
	}
	return w
}

// Tick handles the passage of time: windows that are due, fetch retries,
// a pending collect.
func (o *Orderer) Tick(now int64) {
	o.now = now
	o.retryFetches()
	o.retryRound()
	o.afterInput()
}

// afterInput runs after every input: a full signing window closes and a
// collect that waited for its parent block is answered.
func (o *Orderer) afterInput() {
	if len(o.window) >= o.cfg.WindowMaxRequests {
		o.closeWindow()
	}
	for from := uint32(0); len(o.waitCollect) > 0 && from < uint32(o.n); from++ {
		if c, ok := o.waitCollect[from]; ok {
			_ = o.onCollect(from, c)
		}
	}
}

// Flush closes the signing window at the end of a driver's turn, unless
// this replica signed a window less than WindowUs ago: every timestamp
// request that arrived in one turn shares one signature, and under load,
// when requests come faster than one window per WindowUs, the requests of
// several turns do, for at most WindowUs. An idle replica signs at once
// (docs/protocol.md section 2.2).
func (o *Orderer) Flush() {
	if len(o.window) > 0 && (o.cfg.WindowUs == 0 || o.now >= o.signedAt+o.cfg.WindowUs) {
		o.closeWindow()
	}
}

// Step handles a replica message for this layer.
func (o *Orderer) Step(now int64, from uint32, m *wire.Message) error {
	o.now = now
	var err error
	switch b := m.Body.(type) {
	case *wire.Message_Collect:
		err = o.onCollect(from, b.Collect)
	case *wire.Message_CollectReply:
		err = o.onCollectReply(from, b.CollectReply)
	case *wire.Message_SequencedRequest:
		o.onSequencedRequest(from, b.SequencedRequest)
	case *wire.Message_SequencedResponse:
		o.onSequencedResponse(from, b.SequencedResponse)
	case *wire.Message_BatchRequest:
		o.onBatchRequest(from, b.BatchRequest)
	case *wire.Message_BatchResponse:
		o.onBatchResponse(b.BatchResponse)
	default:
		err = fmt.Errorf("ordering: unexpected message %T", m.Body)
	}
	o.afterInput()
	return err
}

// StepClient handles a client message for this layer.
func (o *Orderer) StepClient(now int64, from crypto.ClientID, m *wire.ClientMessage) error {
	o.now = now
	var err error
	switch b := m.Body.(type) {
	case *wire.ClientMessage_TimestampRequest:
		err = o.onTimestampRequest(from, b.TimestampRequest)
	case *wire.ClientMessage_SequenceRequest:
		err = o.onSequenceRequest(from, b.SequenceRequest)
	default:
		err = fmt.Errorf("ordering: unexpected client message %T", m.Body)
	}
	o.afterInput()
	return err
}

// lookup finds a batch body anywhere this replica keeps one.
func (o *Orderer) lookup(d batch.Digest) ([]byte, *wire.Batch) {
	if e, ok := o.sequenced[d]; ok {
		return e.raw, e.b
	}
	if e, ok := o.knownBody[d]; ok {
		return e.raw, e.b
	}
	raw, ok := []byte(nil), false
	if b, held := o.bodies.get(d); held {
		raw, ok = b.raw, true
	} else if stored, err := bodies.Get(o.store, d); err == nil {
		raw, ok = stored, true
	}
	if !ok {
		return nil, nil
	}
	b, err := batch.Decode(raw, o.cfg.Limits)
	if err != nil {
		return nil, nil
	}
	return raw, b
}

func sortedDigests[V any](m map[batch.Digest]V) []batch.Digest {
	out := make([]batch.Digest, 0, len(m))
	for d := range m {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b batch.Digest) int { return slices.Compare(a[:], b[:]) })
	return out
}

func wireUnmarshal(b []byte, m proto.Message) error { return proto.Unmarshal(b, m) }

// String summarizes the layer for logs and debugging.
func (o *Orderer) String() string {
	s := fmt.Sprintf("lastTS=%d localSync=%d committedT=%d delta=%d bodies=%d window=%d sequenced=%d known=%d queue=%d missing=%d",
		o.lastTS, o.localSync, o.committedT, o.delta, o.bodies.len(), len(o.window), len(o.sequenced), len(o.known), len(o.queue), len(o.missing))
	if r := o.round; r != nil {
		s += fmt.Sprintf(" round{view=%d T=%d replies=%d done=%v}", r.view, r.boundary, len(r.replies), r.done)
	}
	for from := uint32(0); from < uint32(o.n); from++ {
		if c, ok := o.waitCollect[from]; ok {
			s += fmt.Sprintf(" waitCollect{from=%d view=%d}", from, c.View)
		}
	}
	return s
}
