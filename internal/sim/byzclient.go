package sim

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// byzClient is a Byzantine client of a fuzz run. Every tick it picks, by
// its own seeded random source, one of:
//   - hoard: timestamps for several alternative batches of the same
//     commands (docs/protocol.md section 6), of which it sequences only some;
//   - spam: a batch with attempt > 0 although nothing was rejected;
//   - replay: timestamp and sequence requests again for a batch that
//     already executed (fresh timestamps, then a sequence request with
//     them; and the old proof once more); its proofs, and half of those of
//     hoarded alternatives it does not sequence, go to the fuzz replicas,
//     whose collude mutation lists them in their collect replies;
//   - flood: many distinct digests at once, never sequenced;
//   - lie: a sequence request with its timestamp shifted, its proof
//     truncated, duplicated, reordered or taken from another batch;
//   - impersonate: a batch whose commands carry a correct client's id and
//     its next sequence numbers.
//
// In baseline mode the same actions submit batches instead. It is checked
// by the oracle only for what the protocol promises any client: a batch
// that f+1 correct replicas acked (Pompe) executes.
type byzClient struct {
	c     *cluster
	idx   int
	id    crypto.ClientID
	rng   *rand.Rand
	seq   uint64
	nonce uint64
	ver   *tsproof.Verifier
	key   crypto.PrivateKey // signs baseline batches (batch.Sign), as a correct client does

	batches map[batch.Digest]*byzBatch
	order   []batch.Digest // insertion order, for the bound
	ran     map[string]int // actions taken, for the result
}

// byzBatch is one digest the Byzantine client asked about.
type byzBatch struct {
	raw      []byte
	d        batch.Digest
	sequence bool // send a sequence request once 2f+1 timestamps are in
	certs    map[uint32]*wire.TimestampCert
	ts       int64
	proof    *wire.SequenceProof
	acks     map[uint32]int64 // correct replicas' acks: replica -> ts
	ackedAt  int64            // when f+1 correct replicas acked one ts
	replayed bool             // executed already; asked for timestamps again
}

const (
	// byzClientBatches bounds the batches a Byzantine client tracks; the
	// oldest unacknowledged ones are forgotten first.
	byzClientBatches = 4096
	byzTickMinUs     = 20_000
	byzTickMaxUs     = 200_000
	byzFloodMax      = 48
)

func (k *byzClient) pompe() bool { return k.c.opts.Mode == "pompe" }

func (k *byzClient) start() {
	k.c.s.after(k.rng.Int64N(byzTickMaxUs), k.tick)
}

func (k *byzClient) tick() {
	if k.c.s.now >= k.c.opts.DurationUs-k.c.opts.SettleUs {
		// Quiet from here on: what it sequenced must now execute, and
		// the oracle checks that against the end of the run.
		return
	}
	actions := []string{"hoard", "spam", "replay", "flood", "lie", "impersonate"}
	a := actions[k.rng.IntN(len(actions))]
	k.ran[a]++
	switch a {
	case "hoard":
		cmds := k.commands(1 + k.rng.IntN(3))
		alts := 2 + k.rng.IntN(4)
		keep := k.rng.IntN(alts + 1) // alternatives >= keep are never sequenced
		for i := range alts {
			k.send(k.newBatch(cmds, 0), i < keep)
		}
	case "spam":
		k.send(k.newBatch(k.commands(1), uint32(1+k.rng.IntN(1000))), true)
	case "replay":
		var done []*byzBatch
		for _, d := range k.order {
			if b := k.batches[d]; b != nil && k.c.executedDigests[d] {
				done = append(done, b)
			}
		}
		if len(done) == 0 {
			k.send(k.newBatch(k.commands(1), 0), true)
			break
		}
		b := done[k.rng.IntN(len(done))]
		if k.pompe() && b.proof != nil && k.rng.IntN(2) == 0 {
			k.broadcast(&wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: &wire.SequenceRequest{
				Digest: b.d[:], Ts: b.ts, Proof: b.proof, Batch: b.raw}}})
		}
		if b.proof != nil {
			k.collude(b) // its old, valid proof: listed again, it is a re-inclusion
		}
		// Fresh timestamps for it, then sequenced with them.
		b.certs, b.ts, b.sequence, b.replayed = make(map[uint32]*wire.TimestampCert), 0, true, true
		k.send(b, true)
	case "flood":
		for range 1 + k.rng.IntN(byzFloodMax) {
			k.send(k.newBatch(k.commands(1), 0), false)
		}
	case "lie":
		var open []*byzBatch
		for _, d := range k.order {
			if b := k.batches[d]; b != nil && b.proof != nil {
				open = append(open, b)
			}
		}
		if len(open) == 0 || !k.pompe() {
			k.send(k.newBatch(k.commands(1), 0), true)
			break
		}
		b := open[k.rng.IntN(len(open))]
		k.broadcast(&wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: k.lie(b, open)}})
	case "impersonate":
		victim := k.c.clients[k.rng.IntN(len(k.c.clients))]
		var cmds []*wire.Command
		for i := range 1 + k.rng.IntN(2) {
			s := victim.seq + 1 + uint64(i)
			cmds = append(cmds, &wire.Command{ClientId: victim.id[:], Seq: s, Payload: binary.BigEndian.AppendUint64([]byte("forged"), s)})
		}
		k.send(k.newBatch(cmds, 0), true)
	}
	k.c.s.after(byzTickMinUs+k.rng.Int64N(byzTickMaxUs-byzTickMinUs), k.tick)
}

// lie is a sequence request for b that a correct replica must refuse: a
// shifted timestamp, a proof with a certificate too few, one twice, out of
// order, or one taken from another batch.
func (k *byzClient) lie(b *byzBatch, others []*byzBatch) *wire.SequenceRequest {
	req := &wire.SequenceRequest{Digest: b.d[:], Ts: b.ts, Proof: &wire.SequenceProof{Certs: slices.Clone(b.proof.Certs)}, Batch: b.raw}
	certs := &req.Proof.Certs
	switch k.rng.IntN(5) {
	case 0:
		req.Ts += 1 + k.rng.Int64N(1000)
	case 1:
		*certs = (*certs)[:len(*certs)-1]
	case 2:
		*certs = append(*certs, (*certs)[0])
	case 3:
		slices.Reverse(*certs)
	default:
		o := others[k.rng.IntN(len(others))]
		(*certs)[0] = o.proof.Certs[0]
	}
	return req
}

// collude hands b's body and proof to every fuzz replica, whose collude
// mutation lists it in their collect replies and serves it.
func (k *byzClient) collude(b *byzBatch) {
	for _, nd := range k.c.nodes {
		if nd.mut != nil {
			nd.mut.Collude(b.raw, b.ts, b.proof)
		}
	}
}

func (k *byzClient) commands(n int) []*wire.Command {
	var cmds []*wire.Command
	for range n {
		k.seq++
		cmds = append(cmds, &wire.Command{ClientId: k.id[:], Seq: k.seq, Payload: binary.BigEndian.AppendUint64([]byte("byz"), k.seq)})
	}
	return cmds
}

func (k *byzClient) newBatch(cmds []*wire.Command, attempt uint32) *byzBatch {
	k.nonce++
	wb := &wire.Batch{Submitter: k.id[:], Attempt: attempt, Nonce: k.nonce, Commands: cmds}
	var raw []byte
	if k.pompe() {
		raw = wire.Marshal(wb)
	} else {
		// Signed with its own key: only the protocol's checks (every
		// command its own) can refuse an impersonating batch.
		raw = batch.Sign(wb, k.key, k.c.committee.Cluster())
	}
	b := &byzBatch{raw: raw, d: batch.DigestOf(raw), certs: make(map[uint32]*wire.TimestampCert), acks: make(map[uint32]int64)}
	k.batches[b.d] = b
	k.order = append(k.order, b.d)
	for len(k.order) > byzClientBatches {
		// Forget the oldest batch that nothing holds us to.
		i := slices.IndexFunc(k.order, func(d batch.Digest) bool { return k.batches[d].ackedAt == 0 })
		if i < 0 {
			i = 0
		}
		delete(k.batches, k.order[i])
		k.order = slices.Delete(k.order, i, i+1)
	}
	return b
}

// send asks for timestamps (Pompe) or submits (baseline).
func (k *byzClient) send(b *byzBatch, sequence bool) {
	b.sequence = sequence
	if k.pompe() {
		k.broadcast(&wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: b.raw}}})
		return
	}
	k.broadcast(&wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{Batch: b.raw}}})
}

func (k *byzClient) broadcast(m *wire.ClientMessage) {
	raw := wire.Marshal(m)
	for i := range k.c.nodes {
		k.c.sendRawFromClient(k.id, uint32(i), raw)
	}
}

// toByzClient delivers a replica's message to a Byzantine client.
func (c *cluster) toByzClient(from uint32, k *byzClient, m *wire.ClientMessage) {
	if drop, _ := c.lossy(); drop {
		return
	}
	raw := wire.Marshal(m)
	c.messages++
	c.s.after(c.delay(), func() {
		if mm, err := wire.DecodeClientMessage(raw); err == nil {
			k.deliver(from, mm)
		}
	})
}

func (k *byzClient) deliver(from uint32, m *wire.ClientMessage) {
	switch b := m.Body.(type) {
	case *wire.ClientMessage_TimestampReply:
		k.onTimestamp(from, b.TimestampReply)
	case *wire.ClientMessage_SequenceAck:
		k.onAck(from, b.SequenceAck)
	}
}

func (k *byzClient) lookup(digest []byte) *byzBatch {
	d, err := batch.DigestFromBytes(digest)
	if err != nil {
		return nil
	}
	return k.batches[d]
}

func (k *byzClient) onTimestamp(from uint32, tr *wire.TimestampReply) {
	b := k.lookup(tr.Digest)
	if b == nil || tr.Cert == nil || tr.Cert.Replica != from || b.ts != 0 {
		return
	}
	if _, dup := b.certs[from]; dup {
		return
	}
	if k.ver.VerifyCerts(b.d[:], []*wire.TimestampCert{tr.Cert}) != nil {
		return
	}
	b.certs[from] = tr.Cert
	q := k.c.committee.Quorum()
	if len(b.certs) < q {
		return
	}
	p := &wire.SequenceProof{}
	var vals []int64
	for i := range k.c.nodes {
		if c, ok := b.certs[uint32(i)]; ok && len(p.Certs) < q {
			p.Certs = append(p.Certs, c)
			vals = append(vals, c.Ts)
		}
	}
	b.ts, b.proof = tsproof.Median(vals, k.c.f), p
	if b.replayed || (!b.sequence && k.rng.IntN(2) == 0) {
		// A valid proof for a batch that already executed (issue 15 found
		// #2), or for a hoarded alternative it will not sequence (docs/protocol.md
		// section 6: a colluding replica may report it).
		k.collude(b)
	}
	if b.sequence {
		k.broadcast(&wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: &wire.SequenceRequest{
			Digest: b.d[:], Ts: b.ts, Proof: p, Batch: b.raw}}})
	}
}

// onAck counts correct replicas' acks: once f+1 of them acked one (d, ts),
// docs/protocol.md section 3.4 promises d a place in the chain, whoever the client is.
func (k *byzClient) onAck(from uint32, a *wire.SequenceAck) {
	b := k.lookup(a.Digest)
	if b == nil || !k.c.nodes[from].correct() {
		return
	}
	b.acks[from] = a.Ts
	if b.ackedAt != 0 {
		return
	}
	same := 0
	for _, ts := range b.acks {
		if ts == a.Ts {
			same++
		}
	}
	if same >= k.c.f+1 {
		b.ackedAt = k.c.s.now
	}
}
