package client

import (
	"crypto/tls"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// fakeBehavior makes a fake replica faulty in one way.
type fakeBehavior struct {
	silent        bool   // accepts connections, answers nothing
	badSig        bool   // timestamp certificates with a broken signature
	otherReplica  bool   // certificates naming another replica
	wrongResults  bool   // execution reports with made-up results
	ackWrongTS    bool   // acks name another timestamp
	garbage       bool   // also sends acks and reports for unknown digests
	rejectBelow   uint32 // rejects sequence requests of attempts below this
	hugeTimestamp bool   // valid certificates on timestamps far in the future
	refuse        bool   // answers timestamp requests with Rejected
}

// placement is where the fake chain executed a batch.
type placement struct {
	height  uint64
	ts      int64
	client  crypto.ClientID
	attempt uint32
	results []*wire.CommandResult
}

// fakeCluster is n fake replicas sharing one fake chain: a digest is
// ordered (one block per batch) once enough replicas acked it (Pompe) or
// at its first submission (baseline), and every non-silent replica then
// reports its execution to the submitter.
type fakeCluster struct {
	t        testing.TB
	mode     config.Mode
	cluster  []byte
	n, f     int
	verifier *tsproof.Verifier
	replicas []*fakeReplica

	mu             sync.Mutex
	orderAfterAcks int
	hold           bool // order nothing until release
	held           []heldBatch
	execDelay      func(attempt uint32) time.Duration
	acks           map[batch.Digest]map[uint32]bool
	placed         map[batch.Digest]placement
	executed       map[uint64]bool // seqs of the (single) client
	height         uint64
	batchSizes     []int // replica 0's view of first attempts
	seenDigests    map[batch.Digest]bool
	timers         []*time.Timer
	closed         bool
	dropSubmits    int // submissions to ignore, across replicas
	wg             sync.WaitGroup
}

type heldBatch struct {
	d   batch.Digest
	b   *wire.Batch
	ts  int64
	cli crypto.ClientID
}

func newFakeCluster(t testing.TB, mode config.Mode, n int, behaviors map[int]fakeBehavior) *fakeCluster {
	t.Helper()
	fc := &fakeCluster{
		t: t, mode: mode, cluster: []byte("test-cluster"), n: n, f: (n - 1) / 3,
		acks: map[batch.Digest]map[uint32]bool{}, placed: map[batch.Digest]placement{},
		executed: map[uint64]bool{}, seenDigests: map[batch.Digest]bool{},
	}
	fc.orderAfterAcks = 2*fc.f + 1
	var pubs []crypto.PublicKey
	for i := 0; i < n; i++ {
		k, err := crypto.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		fc.replicas = append(fc.replicas, &fakeReplica{fc: fc, id: uint32(i), key: k, b: behaviors[i],
			signer: crypto.NewSigner(k, fc.cluster), conns: map[*fakeConn]bool{}})
		pubs = append(pubs, k.Public())
	}
	com, err := crypto.NewCommittee(fc.cluster, pubs)
	if err != nil {
		t.Fatal(err)
	}
	fc.verifier = tsproof.NewVerifier(com, 64)
	for _, r := range fc.replicas {
		r.start("127.0.0.1:0")
	}
	t.Cleanup(fc.close)
	return fc
}

func (fc *fakeCluster) close() {
	fc.mu.Lock()
	fc.closed = true
	for _, tm := range fc.timers {
		if tm.Stop() {
			fc.wg.Done()
		}
	}
	fc.mu.Unlock()
	for _, r := range fc.replicas {
		r.stop()
	}
	fc.wg.Wait()
}

func (fc *fakeCluster) config(key crypto.PrivateKey) Config {
	cfg := Config{Cluster: fc.cluster, Key: key, Mode: fc.mode, RetryTimeout: time.Second}
	for _, r := range fc.replicas {
		cfg.Replicas = append(cfg.Replicas, Replica{ID: r.id, ClientAddr: r.addr, PublicKey: r.key.Public()})
	}
	return cfg
}

func (fc *fakeCluster) noteBatch(from uint32, d batch.Digest, b *wire.Batch) {
	if from != 0 || b.Attempt != 0 {
		return
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if !fc.seenDigests[d] {
		fc.seenDigests[d] = true
		fc.batchSizes = append(fc.batchSizes, len(b.Commands))
	}
}

func (fc *fakeCluster) sizes() []int {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return append([]int(nil), fc.batchSizes...)
}

// ack counts replica's ack and orders d once enough replicas acked.
func (fc *fakeCluster) ack(from *fakeReplica, d batch.Digest, b *wire.Batch, ts int64, cli crypto.ClientID) {
	fc.mu.Lock()
	if fc.acks[d] == nil {
		fc.acks[d] = map[uint32]bool{}
	}
	fc.acks[d][from.id] = true
	enough := len(fc.acks[d]) >= fc.orderAfterAcks
	fc.mu.Unlock()
	if enough {
		fc.order(from, d, b, ts, cli)
	}
}

// order places d on the chain; from, if set, is the replica asking.
func (fc *fakeCluster) order(from *fakeReplica, d batch.Digest, b *wire.Batch, ts int64, cli crypto.ClientID) {
	fc.mu.Lock()
	if p, done := fc.placed[d]; done {
		fc.mu.Unlock()
		// A retry of an executed batch: answer it again.
		if from != nil {
			from.reportExecuted(d, p)
		}
		return
	}
	if fc.hold {
		for _, h := range fc.held {
			if h.d == d {
				fc.mu.Unlock()
				return
			}
		}
		fc.held = append(fc.held, heldBatch{d, b, ts, cli})
		fc.mu.Unlock()
		return
	}
	fc.height++
	p := placement{height: fc.height, ts: ts, client: cli, attempt: b.Attempt}
	for _, c := range b.Commands {
		if fc.executed[c.Seq] {
			p.results = append(p.results, &wire.CommandResult{Seq: c.Seq, Duplicate: true})
			continue
		}
		fc.executed[c.Seq] = true
		p.results = append(p.results, &wire.CommandResult{Seq: c.Seq, Result: append([]byte("ok:"), c.Payload...)})
	}
	fc.placed[d] = p
	var delay time.Duration
	if fc.execDelay != nil {
		delay = fc.execDelay(b.Attempt)
	}
	report := func() {
		for _, r := range fc.replicas {
			r.reportExecuted(d, p)
		}
	}
	if delay <= 0 || fc.closed {
		fc.mu.Unlock()
		report()
		return
	}
	fc.wg.Add(1)
	fc.timers = append(fc.timers, time.AfterFunc(delay, func() { defer fc.wg.Done(); report() }))
	fc.mu.Unlock()
}

// release orders every held batch, in the order they were held.
func (fc *fakeCluster) release() {
	fc.mu.Lock()
	fc.hold = false
	held := fc.held
	fc.held = nil
	fc.mu.Unlock()
	for _, h := range held {
		fc.order(nil, h.d, h.b, h.ts, h.cli)
	}
}

func (fc *fakeCluster) placement(d batch.Digest) (placement, bool) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	p, ok := fc.placed[d]
	return p, ok
}

// fakeReplica speaks the client protocol over a plain TLS listener.
type fakeReplica struct {
	fc     *fakeCluster
	id     uint32
	key    crypto.PrivateKey
	signer *crypto.Signer
	b      fakeBehavior
	addr   string

	mu     sync.Mutex
	ln     net.Listener
	conns  map[*fakeConn]bool
	lastTS int64
	wg     sync.WaitGroup
}

type fakeConn struct {
	id crypto.ClientID
	mu sync.Mutex
	tc *tls.Conn
}

func (c *fakeConn) send(m *wire.ClientMessage) {
	frame, err := wire.AppendFrame(nil, m)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	c.tc.Write(frame)
}

func (r *fakeReplica) start(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		r.fc.t.Fatalf("fake replica %d: %v", r.id, err)
	}
	cert, err := transport.SelfSignedCert(r.key)
	if err != nil {
		r.fc.t.Fatal(err)
	}
	r.mu.Lock()
	r.ln = ln
	r.addr = ln.Addr().String()
	r.mu.Unlock()
	r.wg.Add(1)
	go r.accept(ln, transport.ClientListenerTLS(cert, nil))
}

// stop closes the listener and every connection, like a crash.
func (r *fakeReplica) stop() {
	r.mu.Lock()
	if r.ln != nil {
		r.ln.Close()
		r.ln = nil
	}
	for c := range r.conns {
		c.tc.NetConn().Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *fakeReplica) accept(ln net.Listener, cfg *tls.Config) {
	defer r.wg.Done()
	for {
		raw, err := ln.Accept()
		if err != nil {
			return
		}
		r.wg.Add(1)
		go r.serve(raw, cfg)
	}
}

func (r *fakeReplica) serve(raw net.Conn, cfg *tls.Config) {
	defer r.wg.Done()
	defer raw.Close()
	tc := tls.Server(raw, cfg)
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		return
	}
	tc.SetDeadline(time.Time{})
	pub, err := transport.PeerKey(tc.ConnectionState())
	if err != nil {
		return
	}
	c := &fakeConn{id: crypto.ClientIDOf(pub), tc: tc}
	r.mu.Lock()
	if r.ln == nil {
		r.mu.Unlock()
		return
	}
	r.conns[c] = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.conns, c)
		r.mu.Unlock()
	}()
	var buf []byte
	for {
		body, err := wire.ReadFrame(tc, buf, 8<<20)
		if err != nil {
			return
		}
		buf = body
		m, err := wire.DecodeClientMessage(body)
		if err != nil {
			return
		}
		if !r.b.silent {
			r.handle(c, m)
		}
	}
}

func (r *fakeReplica) handle(c *fakeConn, m *wire.ClientMessage) {
	switch b := m.Body.(type) {
	case *wire.ClientMessage_Submit:
		bt, err := ownedBatch(b.Submit.Batch, c.id)
		if err != nil {
			c.send(rejected(nil, err.Error()))
			return
		}
		d := batch.DigestOf(b.Submit.Batch)
		r.fc.noteBatch(r.id, d, bt)
		r.fc.mu.Lock()
		drop := r.fc.dropSubmits > 0
		r.fc.dropSubmits--
		r.fc.mu.Unlock()
		if drop {
			return
		}
		r.fc.order(r, d, bt, 0, c.id)
	case *wire.ClientMessage_TimestampRequest:
		r.timestamp(c, b.TimestampRequest.Batch)
	case *wire.ClientMessage_SequenceRequest:
		r.sequence(c, b.SequenceRequest)
	}
}

func rejected(d []byte, why string) *wire.ClientMessage {
	return &wire.ClientMessage{Body: &wire.ClientMessage_Rejected{Rejected: &wire.Rejected{Digest: d, Reason: why}}}
}

func (r *fakeReplica) timestamp(c *fakeConn, raw []byte) {
	bt, err := ownedBatch(raw, c.id)
	d := batch.DigestOf(raw)
	if err != nil {
		c.send(rejected(d[:], err.Error()))
		return
	}
	r.fc.noteBatch(r.id, d, bt)
	if r.b.refuse {
		c.send(rejected(d[:], "overloaded"))
		return
	}
	r.mu.Lock()
	ts := max(time.Now().UnixMicro(), r.lastTS+1)
	r.lastTS = ts
	r.mu.Unlock()
	if r.b.hugeTimestamp {
		ts += 1 << 40
	}
	// A window of three leaves, ours in the middle, so paths are not empty.
	leaves := []tsproof.Hash{
		tsproof.Leaf(r.fc.cluster, r.id, []byte("before"), ts-1),
		tsproof.Leaf(r.fc.cluster, r.id, d[:], ts),
		tsproof.Leaf(r.fc.cluster, r.id, []byte("after"), ts+1),
	}
	tree, err := tsproof.Build(leaves)
	if err != nil {
		panic(err)
	}
	sig := r.signer.Sign(crypto.DomainTSRoot, crypto.U32(r.id), tree.Root[:], crypto.U32(3))
	cert := &wire.TimestampCert{Replica: r.id, Ts: ts, Root: tree.Root[:], LeafCount: 3, Index: 1, Path: tree.Paths[1], Sig: sig}
	if r.b.badSig {
		cert.Sig = append([]byte(nil), sig...)
		cert.Sig[0] ^= 1
	}
	if r.b.otherReplica {
		cert.Replica = (r.id + 1) % uint32(r.fc.n)
	}
	c.send(&wire.ClientMessage{Body: &wire.ClientMessage_TimestampReply{TimestampReply: &wire.TimestampReply{Digest: d[:], Cert: cert}}})
	if r.b.garbage {
		c.send(&wire.ClientMessage{Body: &wire.ClientMessage_SequenceAck{SequenceAck: &wire.SequenceAck{Digest: d[:], Ts: 12345}}})
		c.send(&wire.ClientMessage{Body: &wire.ClientMessage_TimestampReply{TimestampReply: &wire.TimestampReply{Digest: []byte("short")}}})
		c.send(&wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: raw}}})
		c.send(&wire.ClientMessage{Body: &wire.ClientMessage_Executed{Executed: &wire.Executed{Digest: d[:], Height: 99,
			Results: []*wire.CommandResult{{Seq: 1 << 60}}}}})
	}
}

func (r *fakeReplica) sequence(c *fakeConn, req *wire.SequenceRequest) {
	d, err := batch.DigestFromBytes(req.Digest)
	if err != nil {
		c.send(rejected(nil, "bad digest"))
		return
	}
	reject := func(why string) {
		c.send(&wire.ClientMessage{Body: &wire.ClientMessage_SequenceReject{SequenceReject: &wire.SequenceReject{Digest: d[:], LocalSyncTs: req.Ts, Reason: why}}})
	}
	if batch.DigestOf(req.Batch) != d {
		reject("body does not hash to digest")
		return
	}
	bt, err := ownedBatch(req.Batch, c.id)
	if err != nil {
		reject(err.Error())
		return
	}
	if err := r.fc.verifier.VerifyProof(d[:], req.Ts, req.Proof); err != nil {
		reject(err.Error())
		return
	}
	if bt.Attempt < r.b.rejectBelow {
		reject("timestamp below local sync timestamp")
		return
	}
	ts := req.Ts
	if r.b.ackWrongTS {
		ts++
	}
	c.send(&wire.ClientMessage{Body: &wire.ClientMessage_SequenceAck{SequenceAck: &wire.SequenceAck{Digest: d[:], Ts: ts}}})
	r.fc.ack(r, d, bt, req.Ts, c.id)
}

func (r *fakeReplica) reportExecuted(d batch.Digest, p placement) {
	if r.b.silent {
		return
	}
	ex := &wire.Executed{Digest: d[:], Height: p.height, Ts: p.ts, Results: p.results}
	if r.b.wrongResults {
		ex = &wire.Executed{Digest: d[:], Height: p.height, Ts: p.ts}
		for _, res := range p.results {
			ex.Results = append(ex.Results, &wire.CommandResult{Seq: res.Seq, Result: []byte("evil")})
		}
	}
	m := &wire.ClientMessage{Body: &wire.ClientMessage_Executed{Executed: ex}}
	r.mu.Lock()
	var target []*fakeConn
	for c := range r.conns {
		if c.id == p.client {
			target = append(target, c)
		}
	}
	r.mu.Unlock()
	for _, c := range target {
		c.send(m)
	}
}

// ownedBatch checks that raw belongs to owner, as a replica does, and
// decodes it.
func ownedBatch(raw []byte, owner crypto.ClientID) (*wire.Batch, error) {
	if err := batch.CheckOwned(raw, owner, batch.DefaultLimits); err != nil {
		return nil, err
	}
	return batch.Decode(raw, batch.DefaultLimits)
}
