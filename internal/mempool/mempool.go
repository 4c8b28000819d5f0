package mempool

import (
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/bodies"
	"github.com/pompe-bft/pompe/internal/bounded"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/servebudget"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Config bounds the pool.
type Config struct {
	Self       uint32
	N          int
	MaxBatches int // pending bodies held at once
	MaxBytes   int // pending body bytes held at once
	// ClientBatches and ClientBytes bound one submitter's share of the
	// pending bodies: a client at its share has further submissions
	// refused (with the reason) until blocks commit some of its bodies,
	// so one client cannot fill the pool and lock every other one out.
	// Bodies fetched for a proposal count toward their submitter's share
	// but are never refused by it: the block needs them.
	ClientBatches   int
	ClientBytes     int
	BlockMaxBatches int   // digests per block
	ProposeDelayUs  int64 // how long a leader may wait to fill a block
	FetchRetryUs    int64
	RetentionBlocks uint64 // committed bodies kept in storage (0: all)
	RecentCommitted int    // committed digests remembered to refuse re-proposals
	Limits          batch.Limits
	// Cluster is the cluster id clients sign their batches for
	// (batch.CheckSigned).
	Cluster []byte
}

func (c *Config) setDefaults() {
	if c.MaxBatches <= 0 {
		c.MaxBatches = 100_000
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 512 << 20
	}
	if c.ClientBatches <= 0 {
		c.ClientBatches = 4096
	}
	if c.ClientBytes <= 0 {
		c.ClientBytes = 16 << 20
	}
	if c.BlockMaxBatches <= 0 {
		c.BlockMaxBatches = 1000
	}
	if c.FetchRetryUs <= 0 {
		c.FetchRetryUs = 200_000
	}
	if c.RecentCommitted <= 0 {
		c.RecentCommitted = 1 << 20
	}
	c.Limits = c.Limits.WithDefaults()
}

// Tree is the block tree the pool reads ancestors from (the consensus core).
type Tree interface {
	Block(h hotstuff.Hash) *hotstuff.Block
	IsCommitted(h hotstuff.Hash) bool
}

type entry struct {
	raw     []byte
	b       *wire.Batch
	addedAt int64
	stored  bool
	owner   crypto.ClientID // the submitter, whose share the body counts toward
}

// share is what one submitter's pending bodies hold.
type share struct {
	batches int
	bytes   int
}

type fetchState struct {
	askedAt int64
	tries   int
	hint    uint32
	height  uint64 // height of the newest block that needs the body
}

// Mempool implements hotstuff.PayloadRules for baseline mode.
type Mempool struct {
	budgets *servebudget.Budgets // per replica, for the fetches it asks
	cfg     Config
	tree    Tree
	store   hotstuff.Reader
	out     *outbox.Outbox
	now     int64

	bodies  map[batch.Digest]*entry
	arrival []batch.Digest // FIFO of bodies not yet proposed by this replica's view of the chain
	bytes   int
	// shares holds an entry per submitter with a pending body (so at most
	// MaxBatches entries), removed with its last body.
	shares  map[crypto.ClientID]*share
	recent  *bounded.Set[batch.Digest] // committed digests, newest RecentCommitted
	missing map[batch.Digest]*fetchState
	digests map[hotstuff.Hash][]batch.Digest // decoded payloads of uncommitted blocks
	queue   []*hotstuff.Block                // committed, waiting for bodies
	pruner  bodies.Pruner
	// forged remembers digests whose fetched body fails batch.CheckSigned.
	// It is a cache of a fact about the digest alone (the body is fixed by
	// its digest, and the check reads only the body and the cluster id), so
	// every replica that learns the body reaches the same verdict; one that
	// forgot fetches and checks again.
	forged *bounded.Set[batch.Digest]
}

// New makes a pool writing its effects to out. It remembers the digests
// committed within the retention window, so that after a restart it does not
// propose (or accept) them again when clients resubmit.
func New(cfg Config, store hotstuff.Reader, out *outbox.Outbox) *Mempool {
	cfg.setDefaults()
	m := newPool(cfg, store, out)
	_ = bodies.EachCommitted(store, m.remember)
	return m
}

func newPool(cfg Config, store hotstuff.Reader, out *outbox.Outbox) *Mempool {
	return &Mempool{
		pruner:  bodies.Pruner{Retention: cfg.RetentionBlocks},
		budgets: servebudget.New(max(cfg.N, 1), servebudget.Limits{}),
		cfg:     cfg,
		store:   store,
		out:     out,
		bodies:  make(map[batch.Digest]*entry),
		shares:  make(map[crypto.ClientID]*share),
		recent:  bounded.NewSet[batch.Digest](cfg.RecentCommitted),
		forged:  bounded.NewSet[batch.Digest](maxForged),
		missing: make(map[batch.Digest]*fetchState),
		digests: make(map[hotstuff.Hash][]batch.Digest),
	}
}

// SetTree connects the pool to the consensus core it serves.
func (m *Mempool) SetTree(t Tree) { m.tree = t }

// Len is the number of bodies held in memory.
func (m *Mempool) Len() int { return len(m.bodies) }

// Submit takes a batch from an authenticated client connection.
func (m *Mempool) Submit(now int64, from crypto.ClientID, raw []byte) error {
	m.now = now
	d := batch.DigestOf(raw)
	if _, ok := m.bodies[d]; ok {
		return nil
	}
	if m.recent.Has(d) {
		m.out.Resend = append(m.out.Resend, outbox.Resend{Client: from, Digest: d})
		return nil
	}
	b, err := m.check(raw, from)
	if err != nil {
		m.reject(from, d, err.Error())
		return err
	}
	if len(m.bodies) >= m.cfg.MaxBatches || m.bytes+len(raw) > m.cfg.MaxBytes {
		m.reject(from, d, "mempool full")
		return errors.New("mempool: full")
	}
	if sh := m.shares[from]; sh != nil && (sh.batches >= m.cfg.ClientBatches || sh.bytes+len(raw) > m.cfg.ClientBytes) {
		m.reject(from, d, "mempool full for this client: wait for its pending batches to commit")
		return errors.New("mempool: client share full")
	}
	m.add(d, raw, b)
	m.arrival = append(m.arrival, d)
	return nil
}

// maxForged bounds the digests remembered as forged (32 bytes each).
const maxForged = 1 << 14

// check is the ownership rule for a body a client submits: it must be the
// connection's client's, and signed by that client (batch.CheckSigned), so
// that every other replica, which sees only the body, accepts it too.
func (m *Mempool) check(raw []byte, from crypto.ClientID) (*wire.Batch, error) {
	b, err := batch.CheckSigned(raw, m.cfg.Cluster, m.cfg.Limits)
	if err != nil {
		return nil, err
	}
	if string(b.Submitter) != string(from[:]) {
		return nil, errors.New("batch: submitter is not the connection's client")
	}
	return b, nil
}

func (m *Mempool) reject(to crypto.ClientID, d batch.Digest, reason string) {
	m.out.SendClient(to, &wire.ClientMessage{Body: &wire.ClientMessage_Rejected{Rejected: &wire.Rejected{Digest: d[:], Reason: reason}}})
}

func (m *Mempool) add(d batch.Digest, raw []byte, b *wire.Batch) *entry {
	e := &entry{raw: raw, b: b, addedAt: m.now}
	copy(e.owner[:], b.Submitter) // checked by batch.CheckSigned
	m.bodies[d] = e
	m.bytes += len(raw)
	sh := m.shares[e.owner]
	if sh == nil {
		sh = &share{}
		m.shares[e.owner] = sh
	}
	sh.batches++
	sh.bytes += len(raw)
	delete(m.missing, d)
	return e
}

// drop forgets a pending body and gives its bytes back to its submitter.
func (m *Mempool) drop(d batch.Digest, e *entry) {
	m.bytes -= len(e.raw)
	delete(m.bodies, d)
	if sh := m.shares[e.owner]; sh != nil {
		sh.batches--
		sh.bytes -= len(e.raw)
		if sh.batches <= 0 {
			delete(m.shares, e.owner)
		}
	}
}

// Pending reports uncommitted batches: blocks are needed until they commit.
func (m *Mempool) Pending() bool { return len(m.bodies) > 0 || len(m.queue) > 0 }

// Carries reports whether a payload names any batch.
func (m *Mempool) Carries(payload []byte) bool { return len(payload) > 0 }

// DupWindowBlocks is how far back "already in the chain" looks: a block may
// not name a digest that the block it extends or any of that block's
// DupWindowBlocks-1 nearest ancestors names. The search reads only the chain,
// committed or not, so every correct replica reaches the same verdict
// whatever it committed, pruned or forgot in a restart (the same rule as
// ordering.DupWindowBlocks). A digest proposed again further back is valid
// and its commands are skipped by execution's deterministic dedup.
const DupWindowBlocks = 64

// chainDigests returns the digests of the block h and its ancestors,
// DupWindowBlocks blocks in all.
func (m *Mempool) chainDigests(h hotstuff.Hash) map[batch.Digest]struct{} {
	set := make(map[batch.Digest]struct{})
	for i := 0; m.tree != nil && i < DupWindowBlocks; i++ {
		b := m.tree.Block(h)
		if b == nil || b.Height == 0 {
			break
		}
		for _, d := range m.payloadDigests(b) {
			set[d] = struct{}{}
		}
		h = b.Parent
	}
	return set
}

func (m *Mempool) payloadDigests(b *hotstuff.Block) []batch.Digest {
	if ds, ok := m.digests[b.Hash]; ok {
		return ds
	}
	ds, _ := decodePayload(b.Payload)
	m.digests[b.Hash] = ds
	return ds
}

func decodePayload(p []byte) ([]batch.Digest, error) {
	if len(p) == 0 {
		return nil, nil
	}
	var bp wire.BaselinePayload
	if err := proto.Unmarshal(p, &bp); err != nil {
		return nil, fmt.Errorf("mempool: payload: %w", err)
	}
	out := make([]batch.Digest, 0, len(bp.Digests))
	for _, raw := range bp.Digests {
		d, err := batch.DigestFromBytes(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Build proposes the oldest batches not in parent's chain. It waits up to
// ProposeDelayUs for a block to fill, unless forced.
func (m *Mempool) Build(now int64, view uint64, parent *hotstuff.Block, force bool) ([]byte, bool) {
	m.now = now
	inChain := m.chainDigests(parent.Hash)
	var pick [][]byte
	keep := m.arrival[:0]
	oldest := int64(-1)
	for _, d := range m.arrival {
		e, ok := m.bodies[d]
		if !ok {
			continue // committed meanwhile
		}
		keep = append(keep, d)
		if _, dup := inChain[d]; dup || len(pick) >= m.cfg.BlockMaxBatches {
			continue
		}
		if oldest < 0 {
			oldest = e.addedAt
		}
		pick = append(pick, append([]byte(nil), d[:]...))
	}
	m.arrival = keep
	full := len(pick) >= m.cfg.BlockMaxBatches
	due := oldest >= 0 && now-oldest >= m.cfg.ProposeDelayUs
	if !full && !due && !force && len(pick) > 0 {
		return nil, false
	}
	if len(pick) == 0 {
		return nil, true // an empty block moves uncommitted payload toward commit
	}
	return wire.Marshal(&wire.BaselinePayload{Digests: pick}), true
}

// WakeAt is when a waiting leader should build again (0: no need).
func (m *Mempool) WakeAt() int64 {
	var w int64
	for _, f := range m.missing {
		if t := f.askedAt + m.cfg.FetchRetryUs; w == 0 || t < w {
			w = t
		}
	}
	if m.cfg.ProposeDelayUs > 0 && len(m.arrival) > 0 {
		if e, ok := m.bodies[m.arrival[0]]; ok {
			if t := e.addedAt + m.cfg.ProposeDelayUs; w == 0 || t < w {
				w = t
			}
		}
	}
	return w
}

// Validate implements hotstuff.PayloadRules: no duplicate or already
// included digest, no more than the block limit, and every body held (and
// persisted) before the vote.
func (m *Mempool) Validate(now int64, b, parent *hotstuff.Block) (hotstuff.Verdict, error) {
	m.now = now
	ds, err := decodePayload(b.Payload)
	if err != nil {
		return hotstuff.Invalid, err
	}
	if len(ds) > m.cfg.BlockMaxBatches {
		return hotstuff.Invalid, fmt.Errorf("mempool: %d batches exceeds block limit %d", len(ds), m.cfg.BlockMaxBatches)
	}
	inChain := m.chainDigests(parent.Hash)
	seen := make(map[batch.Digest]struct{}, len(ds))
	var absent []batch.Digest
	for _, d := range ds {
		if _, dup := seen[d]; dup {
			return hotstuff.Invalid, fmt.Errorf("mempool: batch %s twice in block", d.Short())
		}
		seen[d] = struct{}{}
		if _, dup := inChain[d]; dup {
			return hotstuff.Invalid, fmt.Errorf("mempool: batch %s already in chain", d.Short())
		}
		if m.forged.Has(d) {
			return hotstuff.Invalid, fmt.Errorf("mempool: batch %s is not signed by its submitter", d.Short())
		}
		if !m.have(d) {
			absent = append(absent, d)
		}
	}
	if len(absent) > 0 {
		m.request(absent, b.Proposer, b.Height)
		return hotstuff.Wait, nil
	}
	for _, d := range ds {
		if e, ok := m.bodies[d]; ok && !e.stored {
			bodies.Put(&m.out.Writes, d, e.raw)
			e.stored = true
		}
	}
	m.digests[b.Hash] = ds
	return hotstuff.Valid, nil
}

// have reports whether the body of d is available (memory or storage).
func (m *Mempool) have(d batch.Digest) bool {
	if _, ok := m.bodies[d]; ok {
		return true
	}
	_, err := bodies.Get(m.store, d)
	return err == nil
}

func (m *Mempool) body(d batch.Digest) *wire.Batch {
	if e, ok := m.bodies[d]; ok {
		return e.b
	}
	raw, err := bodies.Get(m.store, d)
	if err != nil {
		return nil
	}
	b, err := batch.Decode(raw, m.cfg.Limits)
	if err != nil {
		return nil
	}
	return b
}

func (m *Mempool) request(ds []batch.Digest, hint uint32, height uint64) {
	var ask [][]byte
	for _, d := range ds {
		if f, ok := m.missing[d]; ok {
			f.height = max(f.height, height)
			continue
		}
		m.missing[d] = &fetchState{askedAt: m.now, hint: hint, height: height}
		ask = append(ask, append([]byte(nil), d[:]...))
	}
	if len(ask) > 0 {
		m.sendRequest(hint, ask)
	}
}

func (m *Mempool) sendRequest(to uint32, ds [][]byte) {
	if to == m.cfg.Self {
		to = (to + 1) % uint32(m.cfg.N)
	}
	m.out.Send(int(to), &wire.Message{Body: &wire.Message_BatchRequest{BatchRequest: &wire.BatchRequest{Digests: ds}}})
}

// Tick re-asks, from the next replica, bodies that did not arrive.
func (m *Mempool) Tick(now int64) {
	m.now = now
	if len(m.missing) == 0 {
		return
	}
	keys := make([]batch.Digest, 0, len(m.missing))
	for d := range m.missing {
		keys = append(keys, d)
	}
	slices.SortFunc(keys, func(a, b batch.Digest) int { return slices.Compare(a[:], b[:]) })
	byPeer := make(map[uint32][][]byte)
	var peers []uint32
	for _, d := range keys {
		f := m.missing[d]
		if f.askedAt+m.cfg.FetchRetryUs > now {
			continue
		}
		f.tries++
		f.askedAt = now
		to := (f.hint + uint32(f.tries)) % uint32(m.cfg.N)
		if _, ok := byPeer[to]; !ok {
			peers = append(peers, to)
		}
		byPeer[to] = append(byPeer[to], append([]byte(nil), d[:]...))
	}
	for _, p := range peers {
		m.sendRequest(p, byPeer[p])
	}
}

// MaxBatchesPerResponse bounds one fetch answer.
const MaxBatchesPerResponse = 1024

// OnRequest serves bodies to a replica, within its serving budget
// (package servebudget): each digest once, a bounded response, a byte rate
// per peer.
func (m *Mempool) OnRequest(now int64, from uint32, r *wire.BatchRequest) {
	m.now = now
	resp := &wire.BatchResponse{}
	m.budgets.Serve(m.now, from, r.Digests, func(d batch.Digest) int {
		if len(resp.Batches) >= MaxBatchesPerResponse {
			return 0
		}
		if e, ok := m.bodies[d]; ok {
			resp.Batches = append(resp.Batches, e.raw)
			return len(e.raw)
		}
		if body, err := bodies.Get(m.store, d); err == nil {
			resp.Batches = append(resp.Batches, body)
			return len(body)
		}
		return 0
	})
	if len(resp.Batches) > 0 {
		m.out.Send(int(from), &wire.Message{Body: &wire.Message_BatchResponse{BatchResponse: resp}})
	}
}

// OnResponse accepts bodies this replica asked for (checked against their
// digests by construction).
func (m *Mempool) OnResponse(now int64, r *wire.BatchResponse) {
	m.now = now
	for _, raw := range r.Batches {
		d := batch.DigestOf(raw)
		if _, wanted := m.missing[d]; !wanted {
			continue
		}
		b, err := batch.CheckSigned(raw, m.cfg.Cluster, m.cfg.Limits)
		if err != nil {
			// The digest names this body and no other: whoever proposed
			// it proposed a forgery, and every replica will find so.
			delete(m.missing, d)
			m.forged.Add(d)
			continue
		}
		m.add(d, raw, b)
	}
	m.drainCommitted()
}

// Proposed implements hotstuff.PayloadRules; baseline blocks need no
// preparation.
func (m *Mempool) Proposed(*hotstuff.Block) {}

// Committed implements hotstuff.PayloadRules: the block joins the execution
// queue, released once its bodies are present.
func (m *Mempool) Committed(b *hotstuff.Block) {
	m.queue = append(m.queue, b)
	m.drainCommitted()
}

func (m *Mempool) drainCommitted() {
	for len(m.queue) > 0 {
		b := m.queue[0]
		eb, absent := m.resolve(b)
		if len(absent) > 0 {
			m.request(absent, b.Proposer, b.Height)
			return
		}
		m.queue = m.queue[1:]
		for _, x := range eb.Batches {
			d := x.Digest
			if e, ok := m.bodies[d]; ok {
				if !e.stored {
					bodies.Put(&m.out.Writes, d, e.raw)
				}
				m.drop(d, e)
			}
			bodies.Committed(&m.out.Writes, b.Height, d)
			m.remember(d)
		}
		// Committed payloads stay decoded: the duplicate window reads them.
		if len(m.digests) > maxDecodedPayloads {
			clear(m.digests) // a cache: abandoned forks must not pile up
		}
		m.out.Committed = append(m.out.Committed, eb)
		m.pruner.Prune(m.store, &m.out.Writes, b.Height)
		m.forgetAbandoned(b.Height)
	}
	if len(m.arrival) > 2*len(m.bodies)+64 {
		keep := m.arrival[:0]
		for _, d := range m.arrival {
			if _, ok := m.bodies[d]; ok {
				keep = append(keep, d)
			}
		}
		m.arrival = keep
	}
}

// forgetAbandoned stops fetching bodies that only blocks at or below a
// committed height wanted: those blocks either committed (and are in the
// queue, which asks again) or lost to the block that did.
func (m *Mempool) forgetAbandoned(height uint64) {
	if len(m.missing) == 0 {
		return
	}
	queued := make(map[batch.Digest]struct{})
	for _, b := range m.queue {
		for _, d := range m.payloadDigests(b) {
			queued[d] = struct{}{}
		}
	}
	for d, f := range m.missing {
		if _, ok := queued[d]; !ok && f.height <= height {
			delete(m.missing, d)
		}
	}
}

// maxDecodedPayloads bounds the cache of decoded block payloads.
const maxDecodedPayloads = 4096

// resolve turns a committed block into its batches in execution order, or
// lists the bodies still missing.
func (m *Mempool) resolve(b *hotstuff.Block) (outbox.ExecBlock, []batch.Digest) {
	ds := m.payloadDigests(b)
	eb := outbox.ExecBlock{Height: b.Height, View: b.View, Hash: b.Hash}
	var absent []batch.Digest
	for _, d := range ds {
		body := m.body(d)
		if body == nil {
			absent = append(absent, d)
			continue
		}
		eb.Batches = append(eb.Batches, outbox.ExecBatch{Digest: d, Batch: body})
	}
	return eb, absent
}

func (m *Mempool) remember(d batch.Digest) { m.recent.Add(d) }

// String summarizes the pool for logs and debugging.
func (m *Mempool) String() string {
	s := fmt.Sprintf("bodies=%d arrival=%d queue=%d missing=%d", len(m.bodies), len(m.arrival), len(m.queue), len(m.missing))
	for d, f := range m.missing {
		s += fmt.Sprintf(" [%s tries=%d hint=%d asked=%d have=%v]", d.Short(), f.tries, f.hint, f.askedAt, m.have(d))
	}
	return s
}
