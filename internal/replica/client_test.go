package replica

import (
	"bytes"
	"fmt"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// clientRetryUs is how long a test client waits before repeating a phase.
const clientRetryUs = 300_000

// testClient submits batches. In baseline mode it hands each batch to every
// replica. In Pompe mode it runs the ordering phase: timestamps from 2f+1
// replicas, their median, sequencing with the proof, a new attempt (new
// digest) when rejects make 2f+1 acks impossible.
type testClient struct {
	c     *testCluster
	id    crypto.ClientID
	seq   uint64
	nonce uint64
	open  map[batch.Digest]*pending // every attempt's digest
	all   []*pending                // in submission order, for deterministic retries
	// executedFrom counts Executed replies per digest and replica.
	executedFrom map[batch.Digest]map[uint32]int
	ver          *tsproof.Verifier
	key          crypto.PrivateKey // signs baseline batches
}

type pending struct {
	cmds    []*wire.Command
	nonce   uint64
	attempt uint32
	raw     []byte
	d       batch.Digest
	certs   map[uint32]*wire.TimestampCert
	ts      int64
	acks    map[uint32]bool
	rejects map[uint32]bool
	sentAt  int64
	done    bool
}

func (c *testCluster) newClient(tag byte) *testClient {
	key, err := crypto.KeyFromSeed(bytes.Repeat([]byte{tag, 0xc1}, crypto.SeedBytes/2))
	if err != nil {
		c.t.Fatal(err)
	}
	id := crypto.ClientIDOf(key.Public())
	k := &testClient{c: c, id: id, key: key, open: map[batch.Digest]*pending{}, ver: c.verifier,
		executedFrom: map[batch.Digest]map[uint32]int{}}
	c.clients[id] = k
	c.clientOrder = append(c.clientOrder, k)
	return k
}

// submit sends a batch of n new commands and returns their ids.
func (k *testClient) submit(n int) []cmdID {
	p := &pending{nonce: k.nonce}
	k.nonce++
	var ids []cmdID
	for range n {
		k.seq++
		p.cmds = append(p.cmds, &wire.Command{ClientId: k.id[:], Seq: k.seq, Payload: fmt.Appendf(nil, "%x/%d", k.id[0], k.seq)})
		ids = append(ids, cmdID{k.id, k.seq})
	}
	k.all = append(k.all, p)
	k.start(p)
	return ids
}

// allDone reports whether every batch got an Executed reply.
func (k *testClient) allDone() bool {
	for _, p := range k.all {
		if !p.done {
			return false
		}
	}
	return true
}

func (k *testClient) pompe() bool { return k.c.mode == ModePompe }

// start begins p's current attempt.
func (k *testClient) start(p *pending) {
	b := &wire.Batch{Submitter: k.id[:], Attempt: p.attempt, Nonce: p.nonce, Commands: p.cmds}
	if k.c.mode == ModePompe {
		p.raw = wire.Marshal(b)
	} else {
		p.raw = batch.Sign(b, k.key, k.c.committee.Cluster())
	}
	p.d = batch.DigestOf(p.raw)
	p.certs, p.acks, p.rejects, p.ts = map[uint32]*wire.TimestampCert{}, map[uint32]bool{}, map[uint32]bool{}, 0
	p.sentAt = k.c.now
	k.open[p.d] = p
	if k.pompe() {
		k.broadcast(&wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: p.raw}}})
	} else {
		k.broadcast(&wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{Batch: p.raw}}})
	}
}

func (k *testClient) broadcast(m *wire.ClientMessage) {
	for i := range k.c.nodes {
		k.c.sendClient(i, k.id, m)
	}
}

func (k *testClient) current(digest []byte) *pending {
	d, err := batch.DigestFromBytes(digest)
	if err != nil {
		return nil
	}
	p, ok := k.open[d]
	if !ok || p.done || p.d != d {
		return nil
	}
	return p
}

func (k *testClient) deliver(from uint32, m *wire.ClientMessage) {
	switch b := m.Body.(type) {
	case *wire.ClientMessage_TimestampReply:
		k.onTimestamp(from, b.TimestampReply)
	case *wire.ClientMessage_SequenceAck:
		if p := k.current(b.SequenceAck.Digest); p != nil && p.ts != 0 && b.SequenceAck.Ts == p.ts {
			p.acks[from] = true
		}
	case *wire.ClientMessage_SequenceReject:
		if p := k.current(b.SequenceReject.Digest); p != nil && len(p.acks) < k.c.committee.Quorum() {
			p.rejects[from] = true
			if len(k.c.nodes)-len(p.rejects) < k.c.committee.Quorum() {
				p.attempt++
				k.start(p)
			}
		}
	case *wire.ClientMessage_Executed:
		d, err := batch.DigestFromBytes(b.Executed.Digest)
		if err != nil {
			return
		}
		if k.executedFrom[d] == nil {
			k.executedFrom[d] = map[uint32]int{}
		}
		k.executedFrom[d][from]++
		if k.open[d] != nil {
			k.open[d].done = true
		}
	}
}

func (k *testClient) onTimestamp(from uint32, tr *wire.TimestampReply) {
	p := k.current(tr.Digest)
	if p == nil || p.ts != 0 || tr.Cert == nil || tr.Cert.Replica != from {
		return
	}
	if err := k.ver.VerifyCerts(p.d[:], []*wire.TimestampCert{tr.Cert}); err != nil {
		k.c.t.Errorf("replica %d sent an invalid timestamp certificate: %v", from, err)
		return
	}
	p.certs[from] = tr.Cert
	q := k.c.committee.Quorum()
	if len(p.certs) < q {
		return
	}
	proof := &wire.SequenceProof{}
	var vals []int64
	for i := range k.c.nodes {
		if cert, ok := p.certs[uint32(i)]; ok && len(vals) < q {
			proof.Certs = append(proof.Certs, cert)
			vals = append(vals, cert.Ts)
		}
	}
	p.ts = tsproof.Median(vals, k.c.committee.F())
	k.sendSequence(p, proof)
}

func (k *testClient) sendSequence(p *pending, proof *wire.SequenceProof) {
	k.broadcast(&wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: &wire.SequenceRequest{
		Digest: p.d[:], Ts: p.ts, Proof: proof, Batch: p.raw}}})
}

// tick retries attempts that made no progress for clientRetryUs: baseline
// resubmits, Pompe starts a new attempt.
func (k *testClient) tick() {
	for _, p := range k.all {
		if p.done || k.c.now-p.sentAt < clientRetryUs {
			continue
		}
		if k.pompe() {
			p.attempt++
		}
		k.start(p)
	}
}
