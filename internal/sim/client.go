package sim

import (
	"encoding/binary"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/replica"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// simClient submits batches and accepts a result once f+1 replicas report
// the same place for it. In baseline mode it hands batches to every replica;
// in Pompe mode it runs the ordering phase: timestamps from 2f+1 replicas,
// their median, sequencing with the proof at 2f+1 replicas, retries with a
// new attempt (new digest) when rejects make that impossible.
type simClient struct {
	c     *cluster
	idx   int
	id    crypto.ClientID
	seq   uint64
	nonce uint64
	open  map[batch.Digest]*request // every attempt's digest
	done  int
	sent  int
	ver   *tsproof.Verifier
	// key and cluster sign baseline batches (batch.Sign).
	key     crypto.PrivateKey
	cluster []byte
}

type request struct {
	firstSeq uint64
	cmds     []*wire.Command
	nonce    uint64
	sentAt   int64
	doneAt   int64

	// Current attempt.
	attempt uint32
	raw     []byte
	d       batch.Digest
	certs   map[uint32]*wire.TimestampCert
	// proof is the last sequence proof sent, and retry the evidence the
	// next attempt's timestamp requests carry (the previous attempt's proof).
	proof    *wire.SequenceProof
	retry    *wire.RetryEvidence
	acks     map[uint32]bool
	rejects  map[uint32]bool
	ts       int64
	seqAt    int64
	attempts []batch.Digest

	replicaTS map[uint32][]int64 // every timestamp any replica gave, all attempts
	replies   map[batch.Digest]map[uint32]place
	assigned  int64
}

const (
	clientRetryUs   = 2_000_000
	clientBackoffUs = 20_000
)

func (k *simClient) pompe() bool { return k.c.opts.Mode == replica.ModePompe }

func (k *simClient) start() {
	for i := 0; i < k.c.opts.Inflight; i++ {
		k.submitNew()
	}
}

func (k *simClient) submitNew() {
	if k.c.s.now >= k.c.opts.DurationUs-k.c.opts.SettleUs {
		return
	}
	r := &request{nonce: k.nonce, sentAt: k.c.s.now, replicaTS: make(map[uint32][]int64), replies: make(map[batch.Digest]map[uint32]place)}
	k.nonce++
	r.firstSeq = k.seq + 1
	for i := 0; i < k.c.opts.BatchSize; i++ {
		k.seq++
		payload := binary.BigEndian.AppendUint64([]byte("cmd"), k.seq)
		r.cmds = append(r.cmds, &wire.Command{ClientId: k.id[:], Seq: k.seq, Payload: payload})
	}
	k.sent++
	k.newAttempt(r)
}

// newAttempt (re)starts a batch with the next attempt counter: a new digest.
func (k *simClient) newAttempt(r *request) {
	if r.raw != nil {
		r.attempt++
		k.c.retries++
	}
	r.retry = nil
	if r.proof != nil && r.ts != 0 {
		r.retry = &wire.RetryEvidence{Digest: append([]byte(nil), r.d[:]...), Ts: r.ts, Proof: r.proof}
	}
	r.proof = nil
	b := &wire.Batch{Submitter: k.id[:], Attempt: r.attempt, Nonce: r.nonce, Commands: r.cmds}
	if k.pompe() {
		r.raw = wire.Marshal(b)
	} else {
		r.raw = batch.Sign(b, k.key, k.cluster)
	}
	r.d = batch.DigestOf(r.raw)
	r.certs = make(map[uint32]*wire.TimestampCert)
	r.acks = make(map[uint32]bool)
	r.rejects = make(map[uint32]bool)
	r.ts, r.seqAt = 0, 0
	r.attempts = append(r.attempts, r.d)
	k.open[r.d] = r
	if k.pompe() {
		k.broadcast(&wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: r.raw, Retry: r.retry}}})
	} else {
		k.broadcast(&wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{Batch: r.raw}}})
	}
	attempt := r.attempt
	k.c.s.after(clientRetryUs, func() { k.retry(r, attempt) })
}

// retry acts when an attempt made no progress: resend what the phase needs.
func (k *simClient) retry(r *request, attempt uint32) {
	if r.doneAt != 0 || r.attempt != attempt {
		return
	}
	k.c.retries++
	switch {
	case !k.pompe():
		k.broadcast(&wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{Batch: r.raw}}})
	case r.ts != 0:
		k.sendSequence(r)
	default:
		k.broadcast(&wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: r.raw, Retry: r.retry}}})
	}
	k.c.s.after(clientRetryUs, func() { k.retry(r, attempt) })
}

func (k *simClient) broadcast(m *wire.ClientMessage) {
	for i := range k.c.nodes {
		k.c.sendFromClient(k, uint32(i), m)
	}
}

func (k *simClient) sendSequence(r *request) {
	p := &wire.SequenceProof{}
	for i := 0; i < len(k.c.nodes); i++ {
		if c, ok := r.certs[uint32(i)]; ok && len(p.Certs) < k.c.committee.Quorum() {
			p.Certs = append(p.Certs, c)
		}
	}
	r.proof = p
	k.broadcast(&wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: &wire.SequenceRequest{Digest: r.d[:], Ts: r.ts, Proof: p, Batch: r.raw}}})
}

func (k *simClient) deliver(from uint32, m *wire.ClientMessage) {
	switch b := m.Body.(type) {
	case *wire.ClientMessage_TimestampReply:
		k.onTimestamp(from, b.TimestampReply)
	case *wire.ClientMessage_SequenceAck:
		k.onAck(from, b.SequenceAck)
	case *wire.ClientMessage_SequenceReject:
		k.onReject(from, b.SequenceReject)
	case *wire.ClientMessage_Executed:
		k.onExecuted(from, b.Executed)
	}
}

func (k *simClient) current(digest []byte) *request {
	d, err := batch.DigestFromBytes(digest)
	if err != nil {
		return nil
	}
	r, ok := k.open[d]
	if !ok || r.doneAt != 0 || r.d != d {
		return nil
	}
	return r
}

func (k *simClient) onTimestamp(from uint32, tr *wire.TimestampReply) {
	r := k.current(tr.Digest)
	if r == nil || tr.Cert == nil || tr.Cert.Replica != from {
		return
	}
	if _, dup := r.certs[from]; dup || r.ts != 0 {
		return
	}
	if err := k.ver.VerifyCerts(r.d[:], []*wire.TimestampCert{tr.Cert}); err != nil {
		return // a lying replica
	}
	r.certs[from] = tr.Cert
	r.replicaTS[from] = append(r.replicaTS[from], tr.Cert.Ts)
	q := k.c.committee.Quorum()
	if len(r.certs) < q {
		return
	}
	var vals []int64
	for i := 0; i < len(k.c.nodes) && len(vals) < q; i++ {
		if c, ok := r.certs[uint32(i)]; ok {
			vals = append(vals, c.Ts)
		}
	}
	r.ts = tsproof.Median(vals, k.c.f)
	k.sendSequence(r)
}

func (k *simClient) onAck(from uint32, a *wire.SequenceAck) {
	r := k.current(a.Digest)
	if r == nil || a.Ts != r.ts || r.ts == 0 {
		return
	}
	r.acks[from] = true
	if len(r.acks) >= k.c.committee.Quorum() && r.seqAt == 0 {
		r.seqAt = k.c.s.now
		r.assigned = r.ts
	}
}

func (k *simClient) onReject(from uint32, rj *wire.SequenceReject) {
	r := k.current(rj.Digest)
	if r == nil || r.seqAt != 0 {
		return
	}
	r.rejects[from] = true
	if len(k.c.nodes)-len(r.rejects) < k.c.committee.Quorum() {
		attempt := r.attempt
		k.c.s.after(clientBackoffUs<<min(r.attempt, 6), func() {
			if r.doneAt == 0 && r.attempt == attempt {
				k.newAttempt(r)
			}
		})
	}
}

func (k *simClient) onExecuted(from uint32, ex *wire.Executed) {
	d, err := batch.DigestFromBytes(ex.Digest)
	if err != nil {
		return
	}
	r, ok := k.open[d]
	if !ok || r.doneAt != 0 {
		return
	}
	for _, res := range ex.Results {
		if res.Duplicate {
			return // another attempt of this batch executed these commands
		}
	}
	p := place{height: ex.Height, position: ex.Position}
	if r.replies[d] == nil {
		r.replies[d] = make(map[uint32]place)
	}
	r.replies[d][from] = p
	agree := 0
	for _, q := range r.replies[d] {
		if q == p {
			agree++
		}
	}
	if agree < k.c.f+1 {
		return
	}
	r.doneAt = k.c.s.now
	k.done++
	k.c.accepted = append(k.c.accepted, acceptedBatch{client: k.idx, id: k.id, firstSeq: r.firstSeq, cmds: len(r.cmds),
		digest: d, at: p, latencyUs: r.doneAt - r.sentAt, sentAt: r.sentAt, doneAt: r.doneAt, replicaTS: r.replicaTS})
	for _, ad := range r.attempts {
		delete(k.open, ad)
	}
	k.submitNew()
}
