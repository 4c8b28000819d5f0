package hotstuff

import (
	"crypto/sha256"
	"fmt"
	"os"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Harness: n cores over Mem stores, a fake clock and a router that the test
// drives one packet at a time. Every Ready is applied in the order the core
// contract asks for: Writes synced to the store, then Messages queued.

const (
	testViewTimeoutUs = 1_000_000
	testFetchRetryUs  = 200_000
	// maxDeliveriesPerDrain bounds one drain of the queue; a livelock fails
	// the test instead of hanging it.
	maxDeliveriesPerDrain = 200_000
)

var testCluster = []byte("hotstuff-test")

// failer is what the harness needs of a test: *testing.T, *testing.B and
// *rapid.T all provide it.
type failer interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// testKey derives replica i's key deterministically.
func testKey(i int) crypto.PrivateKey {
	seed := sha256.Sum256(fmt.Appendf(nil, "hotstuff-test-key-%d", i))
	k, err := crypto.KeyFromSeed(seed[:])
	if err != nil {
		panic(err)
	}
	return k
}

var committeeCache = map[int]*crypto.Committee{}

func testCommittee(t failer, n int) (*crypto.Committee, []crypto.PrivateKey) {
	keys := make([]crypto.PrivateKey, n)
	pubs := make([]crypto.PublicKey, n)
	for i := range keys {
		keys[i] = testKey(i)
		pubs[i] = keys[i].Public()
	}
	if c, ok := committeeCache[n]; ok {
		return c, keys
	}
	c, err := crypto.NewCommittee(testCluster, pubs)
	if err != nil {
		t.Fatal(err)
	}
	committeeCache[n] = c
	return c, keys
}

// packet is one message in flight. Its bytes are decoded on delivery, so
// no two replicas ever share a message object.
type packet struct {
	seq      int
	from, to uint32
	kind     string
	data     []byte
	// twin picks which copy of a Byzantine twin receives it: 0, 1, or 2
	// for both.
	twin int
}

func (p *packet) msg() *wire.Message {
	m, err := wire.DecodeMessage(p.data)
	if err != nil {
		panic(err)
	}
	return m
}

func (p *packet) String() string { return fmt.Sprintf("#%d %s %d->%d", p.seq, p.kind, p.from, p.to) }

func kindOf(m *wire.Message) string {
	switch m.Body.(type) {
	case *wire.Message_Proposal:
		return "proposal"
	case *wire.Message_Vote:
		return "vote"
	case *wire.Message_Timeout:
		return "timeout"
	case *wire.Message_Sync:
		return "sync"
	case *wire.Message_BlockRequest:
		return "blockreq"
	case *wire.Message_BlockResponse:
		return "blockresp"
	default:
		return fmt.Sprintf("%T", m.Body)
	}
}

// replica is one core with its store and rules. A Byzantine replica of a
// Twins schedule has a second copy (twin) with the same identity and key.
type replica struct {
	id        uint32
	core      *Core
	store     *storage.Mem
	rules     *testRules
	committed []*Block // across restarts
	down      bool
	twin      *replica
	byzantine bool
	events    []Events // every non-empty Events of its Readies, in order
}

type cluster struct {
	t     failer
	n     int
	keys  []crypto.PrivateKey
	comm  *crypto.Committee
	cfg   Config
	nodes []*replica
	now   int64
	queue []*packet
	seq   int
	// lose decides at send time whether the network loses a packet
	// (partitions, crashed senders); nil loses nothing.
	lose func(p *packet) bool
	// sent records every packet ever sent, for scenario assertions.
	sent []*packet
	// votes[i][view] is the block replica i voted for in view (correct
	// replicas only): a second, different vote fails the test.
	votes []map[uint64]Hash
	// commits is the block every correct replica committed at a height.
	commits map[uint64]Hash
	// violations from Byzantine replicas' cores are expected and ignored.
	byzViolations int
}

type clusterOption func(*Config)

func newCluster(t failer, n int, opts ...clusterOption) *cluster {
	t.Helper()
	comm, keys := testCommittee(t, n)
	c := &cluster{t: t, n: n, keys: keys, comm: comm, commits: make(map[uint64]Hash)}
	c.cfg = Config{
		Committee:        comm,
		Scheme:           crypto.Ed25519Quorum{C: comm},
		ViewTimeoutUs:    testViewTimeoutUs,
		ViewTimeoutMaxUs: 8 * testViewTimeoutUs,
		FixedLeader:      -1,
		LeaderPolicy:     LeaderRoundRobin,
		LeaderTermViews:  4,
		FetchRetryUs:     testFetchRetryUs,
	}
	for _, o := range opts {
		o(&c.cfg)
	}
	for i := 0; i < n; i++ {
		c.votes = append(c.votes, make(map[uint64]Hash))
		r := &replica{id: uint32(i), store: storage.NewMem(), rules: newTestRules()}
		c.start(r)
		c.nodes = append(c.nodes, r)
	}
	c.now = 1
	return c
}

func (c *cluster) config(id uint32, rules PayloadRules) Config {
	cfg := c.cfg
	cfg.ID = id
	cfg.Signer = crypto.NewSigner(c.keys[id], testCluster)
	cfg.Rules = rules
	return cfg
}

func (c *cluster) start(r *replica) {
	c.t.Helper()
	core, err := New(c.config(r.id, r.rules), r.store)
	if err != nil {
		c.t.Fatalf("replica %d: %v", r.id, err)
	}
	r.core = core
}

// makeTwin gives replica i a second core with the same key: from now on it
// is Byzantine (it may propose and vote twice in a view).
func (c *cluster) makeTwin(i int) {
	r := c.nodes[i]
	r.byzantine = true
	tw := &replica{id: r.id, store: storage.NewMem(), rules: newTestRules(), byzantine: true}
	c.start(tw)
	r.twin = tw
}

// copies lists the cores that answer to replica i's identity.
func (c *cluster) copies(i uint32, twin int) []*replica {
	r := c.nodes[i]
	if r.twin == nil {
		return []*replica{r}
	}
	switch twin {
	case 0:
		return []*replica{r}
	case 1:
		return []*replica{r.twin}
	default:
		return []*replica{r, r.twin}
	}
}

// collect applies r's Ready: writes synced first, then messages queued.
func (c *cluster) collect(r *replica) Ready {
	c.t.Helper()
	rd := r.core.Ready()
	if err := r.store.Apply(&rd.Writes, true); err != nil {
		c.t.Fatalf("replica %d: apply: %v", r.id, err)
	}
	if !r.byzantine {
		c.checkPersisted(r, rd)
	}
	if rd.Violation != nil {
		if !r.byzantine {
			c.t.Fatalf("replica %d reported a safety violation: %v", r.id, rd.Violation)
		}
		c.byzViolations++
	}
	if !rd.Events.Empty() {
		r.events = append(r.events, rd.Events)
	}
	for _, b := range rd.Committed {
		c.noteCommit(r, b)
	}
	for _, e := range rd.Messages {
		c.send(r, e)
	}
	return rd
}

// checkPersisted asserts the persist-before-send rule (docs/protocol.md section 3.5,
// doc.go): once a Ready's writes are durable, the stored safety state
// covers every vote and timeout in its messages, and the lock the core
// holds.
func (c *cluster) checkPersisted(r *replica, rd Ready) {
	c.t.Helper()
	var need uint64
	for _, e := range rd.Messages {
		switch b := e.Msg.Body.(type) {
		case *wire.Message_Vote:
			need = max(need, b.Vote.View)
		case *wire.Message_Timeout:
			need = max(need, b.Timeout.View)
		}
	}
	s := storedSafety(c.t, r.store)
	if s == nil {
		if need > 0 {
			c.t.Fatalf("replica %d sent a vote or timeout for view %d with no safety state stored", r.id, need)
		}
		return
	}
	if s.LastVotedView < need {
		c.t.Fatalf("replica %d sent a vote or timeout for view %d but stored lastVoted %d", r.id, need, s.LastVotedView)
	}
	if s.LastVotedView != r.core.lastVoted || s.LockedQc.GetView() != r.core.lockedQC.View || s.HighQc.GetView() != r.core.highQC.View {
		c.t.Fatalf("replica %d: stored lastVoted=%d preferred=%d highQC=%d, core holds lastVoted=%d preferred=%d highQC=%d",
			r.id, s.LastVotedView, s.LockedQc.GetView(), s.HighQc.GetView(), r.core.lastVoted, r.core.lockedQC.View, r.core.highQC.View)
	}
}

func storedSafety(t failer, s *storage.Mem) *wire.SafetyState {
	t.Helper()
	rec, err := s.Get(keySafety)
	if err != nil {
		return nil
	}
	var st wire.SafetyState
	if err := proto.Unmarshal(rec, &st); err != nil {
		t.Fatalf("stored safety state: %v", err)
	}
	return &st
}

func (c *cluster) noteCommit(r *replica, b *Block) {
	c.t.Helper()
	if r.byzantine {
		return
	}
	if k := len(r.committed); k > 0 {
		prev := r.committed[k-1]
		if b.Height != prev.Height+1 || b.Parent != prev.Hash {
			c.t.Fatalf("replica %d committed %s at height %d after %s at height %d: not its child",
				r.id, b.Hash, b.Height, prev.Hash, prev.Height)
		}
	} else if b.Height == 1 && b.Parent != GenesisHash(testCluster) {
		c.t.Fatalf("replica %d committed %s at height 1 not on genesis", r.id, b.Hash)
	}
	r.committed = append(r.committed, b)
	if h, ok := c.commits[b.Height]; ok && h != b.Hash {
		c.t.Fatalf("SAFETY: replica %d committed %s at height %d, another correct replica committed %s",
			r.id, b.Hash, b.Height, h)
	}
	c.commits[b.Height] = b.Hash
}

func (c *cluster) send(r *replica, e Envelope) {
	c.t.Helper()
	if v := e.Msg.GetVote(); v != nil && !r.byzantine {
		h, _ := HashFromBytes(v.BlockHash)
		if old, ok := c.votes[r.id][v.View]; ok && old != h {
			c.t.Fatalf("replica %d voted twice in view %d: %s and %s", r.id, v.View, old, h)
		}
		c.votes[r.id][v.View] = h
	}
	data := wire.Marshal(e.Msg)
	kind := kindOf(e.Msg)
	var dests []uint32
	if e.To == Broadcast {
		for i := 0; i < c.n; i++ {
			if uint32(i) != r.id {
				dests = append(dests, uint32(i))
			}
		}
	} else {
		if e.To < 0 || e.To >= c.n {
			c.t.Fatalf("replica %d sent %s to %d", r.id, kind, e.To)
		}
		dests = append(dests, uint32(e.To))
	}
	for _, to := range dests {
		c.seq++
		p := &packet{seq: c.seq, from: r.id, to: to, kind: kind, data: data, twin: 2}
		c.sent = append(c.sent, p)
		if c.lose != nil && c.lose(p) {
			continue
		}
		c.queue = append(c.queue, p)
	}
}

// deliver hands one packet to its destination (both twins unless the
// packet says otherwise) and collects the Ready.
func (c *cluster) deliver(p *packet) {
	c.t.Helper()
	for _, r := range c.copies(p.to, p.twin) {
		if r.down {
			continue
		}
		_ = r.core.Step(c.now, p.from, p.msg())
		c.collect(r)
	}
}

// pop removes and returns the queued packet at index i.
func (c *cluster) pop(i int) *packet {
	p := c.queue[i]
	c.queue = slices.Delete(c.queue, i, i+1)
	return p
}

// deliverAll delivers queued packets in order until the queue is empty.
func (c *cluster) deliverAll() {
	c.t.Helper()
	c.deliverWhere(func(*packet) bool { return true })
}

// deliverWhere delivers, oldest first, queued packets matching keep,
// including matching packets those deliveries produce; the others stay
// queued.
func (c *cluster) deliverWhere(keep func(p *packet) bool) {
	c.t.Helper()
	for steps := 0; ; steps++ {
		if steps > maxDeliveriesPerDrain {
			c.t.Fatalf("queue never drains (%d packets queued)", len(c.queue))
		}
		i := slices.IndexFunc(c.queue, keep)
		if i < 0 {
			return
		}
		c.deliver(c.pop(i))
	}
}

// drop removes queued packets matching pred and returns them.
func (c *cluster) drop(pred func(p *packet) bool) []*packet {
	var out []*packet
	c.queue = slices.DeleteFunc(c.queue, func(p *packet) bool {
		if pred(p) {
			out = append(out, p)
			return true
		}
		return false
	})
	return out
}

// advance moves the clock forward by us and ticks every core whose timer
// is due. It does not deliver anything.
func (c *cluster) advance(us int64) {
	c.t.Helper()
	c.now += us
	for _, r := range c.allCores() {
		if w := r.core.WakeAt(); !r.down && w != 0 && w <= c.now {
			r.core.Tick(c.now)
			c.collect(r)
		}
	}
}

// nextWake is the earliest timer of any running core (0: none).
func (c *cluster) nextWake() int64 {
	var w int64
	for _, r := range c.allCores() {
		if r.down {
			continue
		}
		if x := r.core.WakeAt(); x != 0 && (w == 0 || x < w) {
			w = x
		}
	}
	return w
}

// run alternates draining the queue and firing the next timer until done
// holds or simulated time passes limitUs. It reports whether done held.
func (c *cluster) run(limitUs int64, done func() bool) bool {
	c.t.Helper()
	end := c.now + limitUs
	for {
		c.deliverAll()
		if done() {
			return true
		}
		w := c.nextWake()
		if w == 0 || w > end {
			return done()
		}
		if w > c.now {
			c.advance(w - c.now)
		} else {
			c.advance(0)
		}
	}
}

func (c *cluster) allCores() []*replica {
	var out []*replica
	for _, r := range c.nodes {
		out = append(out, r)
		if r.twin != nil {
			out = append(out, r.twin)
		}
	}
	return out
}

// submit hands items to the rules of the given replicas (all when none
// are named) and pokes their cores.
func (c *cluster) submit(items []uint64, to ...int) {
	c.t.Helper()
	if len(to) == 0 {
		for i := range c.nodes {
			to = append(to, i)
		}
	}
	for _, i := range to {
		for _, r := range c.copies(uint32(i), 2) {
			r.rules.submit(items...)
			if !r.down {
				r.core.Poke(c.now)
				c.collect(r)
			}
		}
	}
}

// correct lists the replicas that are not Byzantine.
func (c *cluster) correct() []*replica {
	var out []*replica
	for _, r := range c.nodes {
		if !r.byzantine {
			out = append(out, r)
		}
	}
	return out
}

// allCommitted reports whether every running correct replica committed a
// block carrying each item.
func (c *cluster) allCommitted(items ...uint64) bool {
	for _, r := range c.correct() {
		if r.down {
			continue
		}
		for _, it := range items {
			if !r.rules.committedItem(it) {
				return false
			}
		}
	}
	return true
}

// restart rebuilds replica i's core from its store, as after a process
// restart. With crash, unsynced writes are lost first (the harness syncs
// every Ready, so there are none).
func (c *cluster) restart(i int, crash bool) {
	c.t.Helper()
	r := c.nodes[i]
	if crash {
		r.store.Crash()
	}
	rules := newTestRules()
	for it := range r.rules.pending {
		rules.pending[it] = true
	}
	r.rules = rules
	c.start(r)
	r.down = false
}

// sentOf lists every packet ever sent matching pred.
func (c *cluster) sentOf(pred func(p *packet) bool) []*packet {
	var out []*packet
	for _, p := range c.sent {
		if pred(p) {
			out = append(out, p)
		}
	}
	return out
}

func isKind(kind string) func(p *packet) bool {
	return func(p *packet) bool { return p.kind == kind }
}

func fromReplica(i uint32) func(p *packet) bool {
	return func(p *packet) bool { return p.from == i }
}

func and(preds ...func(p *packet) bool) func(p *packet) bool {
	return func(p *packet) bool {
		for _, f := range preds {
			if !f(p) {
				return false
			}
		}
		return true
	}
}

func not(pred func(p *packet) bool) func(p *packet) bool {
	return func(p *packet) bool { return !pred(p) }
}

// ------------------------------------------------------ crafted messages

// signer returns replica i's signer, for messages crafted by the test.
func (c *cluster) signer(i uint32) *crypto.Signer { return crypto.NewSigner(c.keys[i], testCluster) }

// genesis is the genesis block as the cores see it.
func (c *cluster) genesis() *Block { return genesisBlock(testCluster) }

// qc builds a QC on (view, h) signed by signers.
func (c *cluster) qc(view uint64, h Hash, signers ...uint32) *wire.QuorumCert {
	if view == 0 {
		return &wire.QuorumCert{View: 0, BlockHash: h[:]}
	}
	parts := make([]crypto.Partial, 0, len(signers))
	for _, s := range signers {
		parts = append(parts, crypto.Partial{Signer: s, Sig: c.signer(s).Sign(crypto.DomainVote, crypto.U64(view), h[:])})
	}
	bm, sigs, err := crypto.Ed25519Quorum{C: c.comm}.Combine(parts)
	if err != nil {
		c.t.Fatal(err)
	}
	return &wire.QuorumCert{View: view, BlockHash: append([]byte(nil), h[:]...), Signers: bm, Sigs: sigs}
}

// quorum lists the first 2f+1 replicas.
func (c *cluster) quorum() []uint32 {
	var q []uint32
	for i := 0; i < c.comm.Quorum(); i++ {
		q = append(q, uint32(i))
	}
	return q
}

// tc builds a TC for view signed by signers, each reporting a high QC of
// view 0.
func (c *cluster) tc(view uint64, signers ...uint32) *wire.TimeoutCert {
	return c.tcWith(view, make([]uint64, len(signers)), signers...)
}

// tcWith builds a TC for view signed by signers, signer i reporting a high
// QC of view highs[i].
func (c *cluster) tcWith(view uint64, highs []uint64, signers ...uint32) *wire.TimeoutCert {
	tc := &wire.TimeoutCert{View: view, Signers: crypto.NewBitmap(c.n)}
	byID := map[uint32]uint64{}
	for i, s := range signers {
		byID[s] = highs[i]
	}
	for i := 0; i < c.n; i++ {
		if h, ok := byID[uint32(i)]; ok {
			crypto.Bitmap(tc.Signers).Set(i)
			tc.Sigs = append(tc.Sigs, c.signer(uint32(i)).Sign(crypto.DomainTimeout, crypto.U64(view), crypto.U64(h)))
			tc.HighQcViews = append(tc.HighQcViews, h)
		}
	}
	return tc
}

// block builds a block of view on parent, justified by justify (which
// must certify parent), proposed by proposer.
func (c *cluster) block(proposer uint32, view uint64, parent *Block, justify *wire.QuorumCert, payload []byte) *Block {
	c.t.Helper()
	m := &wire.Block{
		View:          view,
		Height:        parent.Height + 1,
		Parent:        append([]byte(nil), parent.Hash[:]...),
		Justify:       justify,
		Proposer:      proposer,
		PayloadDigest: PayloadDigest(payload),
	}
	b, err := DecodeBlock(testCluster, m, payload, c.n)
	if err != nil {
		c.t.Fatalf("crafted block: %v", err)
	}
	return b
}

// proposal wraps b in a proposal signed by its proposer.
func (c *cluster) proposal(b *Block, tc *wire.TimeoutCert) *wire.Message {
	p := &wire.Proposal{
		Block:   proto.Clone(b.msg).(*wire.Block),
		Payload: b.Payload,
		Tc:      tc,
		Sig:     c.signer(b.Proposer).Sign(crypto.DomainProposal, crypto.U64(b.View), b.Hash[:]),
	}
	return &wire.Message{Body: &wire.Message_Proposal{Proposal: p}}
}

// vote is replica voter's signed vote for b.
func (c *cluster) vote(voter uint32, b *Block) *wire.Message {
	sig := c.signer(voter).Sign(crypto.DomainVote, crypto.U64(b.View), b.Hash[:])
	return &wire.Message{Body: &wire.Message_Vote{Vote: &wire.Vote{View: b.View, BlockHash: b.Hash[:], Voter: voter, Sig: sig}}}
}

// timeout is replica voter's signed timeout for view (high: its highest
// QC; nil means the genesis QC).
func (c *cluster) timeout(voter uint32, view uint64, high *wire.QuorumCert) *wire.Message {
	if high == nil {
		high = c.qc(0, c.genesis().Hash)
	}
	sig := c.signer(voter).Sign(crypto.DomainTimeout, crypto.U64(view), crypto.U64(high.View))
	return &wire.Message{Body: &wire.Message_Timeout{Timeout: &wire.Timeout{View: view, Voter: voter, Sig: sig, HighQc: high}}}
}

// stepOne steps replica i with m from replica from, outside the router,
// and returns the Ready and Step's error.
func (c *cluster) stepOne(i int, from uint32, m *wire.Message) (Ready, error) {
	c.t.Helper()
	r := c.nodes[i]
	data := wire.Marshal(m)
	dm, err := wire.DecodeMessage(data)
	if err != nil {
		c.t.Fatal(err)
	}
	serr := r.core.Step(c.now, from, dm)
	return c.collect(r), serr
}

// votesIn lists the votes among envelopes.
func votesIn(rd Ready) []*wire.Vote {
	var out []*wire.Vote
	for _, e := range rd.Messages {
		if v := e.Msg.GetVote(); v != nil {
			out = append(out, v)
		}
	}
	return out
}

// knownBug skips a test that demonstrates a known bug, with t.Skip("BUG:
// ..."), unless HOTSTUFF_BUGS=1 asks to run it (to check a fix).
func knownBug(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("HOTSTUFF_BUGS") == "" {
		t.Skip("BUG: " + what)
	}
}

func wireBytes(m *wire.Message) []byte { return wire.Marshal(m) }
