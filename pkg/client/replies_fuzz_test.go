package client

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// replyScene is a client engine with one flight of two commands in its
// timestamp phase, driven by hand (no links: nothing is sent), and the
// fake replicas whose keys sign genuine certificates for it.
type replyScene struct {
	fc  *fakeCluster
	c   *Client
	e   *engine
	fl  *flight
	at  *attempt
	now time.Time
}

// engineClient builds the parts of a Client the engine reads, without
// connections or goroutines.
func engineClient(t testing.TB, cfg Config) *Client {
	cfg = cfg.withDefaults()
	com, err := cfg.committee()
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{
		cfg: cfg, log: cfg.Logger, id: crypto.ClientIDOf(cfg.Key.Public()), committee: com,
		verifier: tsproof.NewVerifier(com, 64), n: com.N(), f: com.F(), quorum: com.Quorum(),
		callbacks: make(chan completion, 64),
	}
	c.counters.perReplica = make([]replicaCounters, c.n)
	return c
}

func newReplyScene(t testing.TB, fc *fakeCluster, key crypto.PrivateKey) *replyScene {
	c := engineClient(t, fc.config(key))
	e := &engine{c: c, digests: map[batch.Digest]*attempt{}}
	fl := newFlight([]*command{{seq: 1, payload: []byte("a")}, {seq: 2, payload: []byte("b")}}, 7, c.id)
	now := time.Unix(1_700_000_000, 0)
	raw := fl.body(c.id, 0)
	at := e.newAttempt(fl, raw)
	at.tsReq = &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: raw}}}
	fl.sentAt = now
	fl.setPhase(phaseTimestamp, now)
	e.flights = append(e.flights, fl)
	return &replyScene{fc: fc, c: c, e: e, fl: fl, at: at, now: now}
}

// genuineCert is replica r's certificate for the attempt at ts, as the
// fake replica makes it.
func (s *replyScene) genuineCert(r int, ts int64) *wire.TimestampCert {
	fr := s.fc.replicas[r]
	d := s.at.digest
	leaves := []tsproof.Hash{
		tsproof.Leaf(s.fc.cluster, fr.id, []byte("before"), ts-1),
		tsproof.Leaf(s.fc.cluster, fr.id, d[:], ts),
		tsproof.Leaf(s.fc.cluster, fr.id, []byte("after"), ts+1),
	}
	tree, _ := tsproof.Build(leaves)
	sig := fr.signer.Sign(crypto.DomainTSRoot, crypto.U32(fr.id), tree.Root[:], crypto.U32(3))
	return &wire.TimestampCert{Replica: fr.id, Ts: ts, Root: tree.Root[:], LeafCount: 3, Index: 1, Path: tree.Paths[1], Sig: sig}
}

// report is the key of an execution report the fuzzer sent, by content.
type report struct {
	height   uint64
	position uint32
	ts       int64
	results  string
}

// reportOf keys a report as the engine does: results in sequence order.
func reportOf(ex *wire.Executed) report {
	var results []string
	for _, r := range ex.Results {
		if r != nil {
			results = append(results, fmt.Sprintf("%d/%v/%x", r.Seq, r.Duplicate, r.Result))
		}
	}
	slices.Sort(results)
	return report{ex.Height, ex.Position, ex.Ts, strings.Join(results, ",")}
}

// FuzzClientReplies feeds an engine a script of timestamp replies,
// sequence acks and rejects, and execution reports, genuine or mutated,
// from any replica. The engine never panics; it keeps a certificate only
// if it names the replica that sent it and its path checks; it asks for
// sequencing only with 2f+1 certificates whose signatures verify; and it completes a command
// only once, with a report f+1 replicas sent with identical content.
func FuzzClientReplies(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 1, 1, 0, 0, 2, 2, 0, 2, 0, 0, 0, 2, 1, 0, 0, 2, 2, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0})
	f.Add([]byte{1, 0, 0, 0, 1, 1, 0, 0})
	f.Add([]byte{1, 0, 1, 0, 1, 1, 1, 0, 1, 2, 0, 0})
	f.Add([]byte{0, 1, 3, 9, 0, 2, 7, 1, 0, 3, 1, 0})
	f.Add([]byte{1, 0, 5, 0, 1, 1, 5, 0, 1, 2, 6, 3})
	f.Add([]byte{3, 0, 0, 0, 3, 1, 1, 0, 4, 2, 0, 0})
	key := seededClientKey(f)
	fc := newFakeCluster(f, config.ModePompe, 4, nil)
	f.Fuzz(func(t *testing.T, script []byte) {
		s := newReplyScene(t, fc, key)
		senders := map[report]map[uint32]bool{}
		completed := map[uint64]bool{}
		ts := int64(1_000_000)
		for len(script) >= 4 {
			op, from, field, arg := script[0]%5, uint32(script[1]%4), script[2], script[3]
			script = script[4:]
			s.now = s.now.Add(time.Millisecond)
			var m *wire.ClientMessage
			switch op {
			case 0:
				m = s.timestampReply(int(arg%4), ts+int64(from)*10, field)
			case 1:
				ex := s.executed(field, arg)
				if senders[reportOf(ex)] == nil {
					senders[reportOf(ex)] = map[uint32]bool{}
				}
				if _, err := checkExecuted(s.fl, ex); err == nil && string(ex.Digest) == string(s.at.digest[:]) {
					senders[reportOf(ex)][from] = true
				}
				m = &wire.ClientMessage{Body: &wire.ClientMessage_Executed{Executed: ex}}
			case 2:
				m = &wire.ClientMessage{Body: &wire.ClientMessage_SequenceAck{SequenceAck: &wire.SequenceAck{Digest: s.at.digest[:], Ts: s.at.ts + int64(int8(arg)%2)}}}
			case 3:
				m = &wire.ClientMessage{Body: &wire.ClientMessage_SequenceReject{SequenceReject: &wire.SequenceReject{Digest: s.at.digest[:], LocalSyncTs: int64(arg), Reason: "fuzz"}}}
			case 4:
				m = &wire.ClientMessage{Body: &wire.ClientMessage_Rejected{Rejected: &wire.Rejected{Digest: s.at.digest[:], Reason: "fuzz"}}}
			}
			s.e.handle(inbound{from: from, msg: m}, s.now)
			s.check(t, senders, completed)
		}
	})
}

func seededClientKey(t testing.TB) crypto.PrivateKey {
	seed := sha256.Sum256([]byte("fuzz-client"))
	k, err := crypto.KeyFromSeed(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// timestampReply is replica r's genuine certificate, edited by field.
func (s *replyScene) timestampReply(r int, ts int64, field uint8) *wire.ClientMessage {
	cert := s.genuineCert(r, ts)
	reply := &wire.TimestampReply{Digest: s.at.digest[:], Cert: cert}
	switch field % 10 {
	case 1:
		cert.Ts++
	case 2:
		cert.Sig[field%64] ^= 1
	case 3:
		cert.Root[field%32] ^= 1
	case 4:
		cert.Index = 0
	case 5:
		cert.Path = nil
	case 6:
		cert.Ts = -cert.Ts
	case 7:
		reply.Cert = nil
	case 8:
		reply.Digest = reply.Digest[:field%32]
	case 9:
		cert.LeafCount = 4
	}
	return &wire.ClientMessage{Body: &wire.ClientMessage_TimestampReply{TimestampReply: reply}}
}

// executed is an execution report of the flight, correct or edited by
// field.
func (s *replyScene) executed(field, arg uint8) *wire.Executed {
	ex := &wire.Executed{Digest: s.at.digest[:], Height: 10, Position: 0, Ts: s.at.ts,
		Results: []*wire.CommandResult{{Seq: 1, Result: []byte("ok:a")}, {Seq: 2, Result: []byte("ok:b")}}}
	switch field % 10 {
	case 1:
		ex.Height += uint64(arg % 3)
	case 2:
		ex.Results = ex.Results[:1]
	case 3:
		ex.Results = append(ex.Results, &wire.CommandResult{Seq: uint64(arg)})
	case 4:
		ex.Results[1] = &wire.CommandResult{Seq: 1}
	case 5:
		ex.Results[0] = &wire.CommandResult{Seq: 1, Duplicate: true}
	case 6:
		ex.Results[0], ex.Results[1] = ex.Results[1], ex.Results[0]
	case 7:
		ex.Results[1] = nil
	case 8:
		ex.Digest = []byte("short")
	case 9:
		ex.Results[0].Result = []byte{arg}
	}
	return ex
}

// check verifies the engine's state after one input.
func (s *replyScene) check(t *testing.T, senders map[report]map[uint32]bool, completed map[uint64]bool) {
	fresh := tsproof.NewVerifier(s.c.committee, 16)
	valid := 0
	// Certificates are kept with their paths checked and their signatures
	// unchecked until a proof needs them; only valid ones may enter a proof.
	for r, cert := range s.at.certs {
		if cert == nil {
			continue
		}
		if cert.Replica != uint32(r) || fresh.CheckPath(s.at.digest[:], cert) != nil {
			t.Fatalf("kept a certificate from replica %d with a bad path: %v", r, cert)
		}
		if fresh.VerifyCerts(s.at.digest[:], []*wire.TimestampCert{cert}) == nil {
			valid++
		}
	}
	if s.at.seqReq != nil && valid < s.c.quorum {
		t.Fatalf("asked for sequencing with %d valid certificates", valid)
	}
	if s.at.seqReq != nil {
		req := s.at.seqReq.GetSequenceRequest()
		if err := fresh.VerifyProof(req.Digest, req.Ts, req.Proof); err != nil {
			t.Fatalf("sent a sequence request with a bad proof: %v", err)
		}
	}
	for {
		select {
		case cb := <-s.c.callbacks:
			o := cb.outcome
			if completed[o.Seq] || (o.Seq != 1 && o.Seq != 2) {
				t.Fatalf("command %d completed twice or unknown", o.Seq)
			}
			completed[o.Seq] = true
			agreed := false
			for r, from := range senders {
				if r.height == o.Height && r.position == o.Position && len(from) >= s.c.f+1 {
					agreed = true
				}
			}
			if !agreed {
				t.Fatalf("command %d completed at (%d, %d) without f+1 identical reports", o.Seq, o.Height, o.Position)
			}
		default:
			return
		}
	}
}

// TestReplyFuzzSceneCompletes pins the fuzz scene: a genuine script
// completes both commands.
func TestReplyFuzzSceneCompletes(t *testing.T) {
	fc := newFakeCluster(t, config.ModePompe, 4, nil)
	s := newReplyScene(t, fc, seededClientKey(t))
	for r := range 3 {
		s.e.handle(inbound{from: uint32(r), msg: s.timestampReply(r, int64(1000+r), 0)}, s.now)
	}
	if s.at.seqReq == nil {
		t.Fatal("no sequence request after 2f+1 certificates")
	}
	want := s.executed(0, 0)
	for r := range 2 {
		s.e.handle(inbound{from: uint32(r), msg: &wire.ClientMessage{Body: &wire.ClientMessage_Executed{Executed: proto.Clone(want).(*wire.Executed)}}}, s.now)
	}
	if len(s.c.callbacks) != 2 {
		t.Fatalf("%d commands completed, want 2", len(s.c.callbacks))
	}
}
