package sim

import (
	"encoding/binary"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// simClient submits batches in baseline mode and accepts a result once f+1
// replicas report the same place for it.
type simClient struct {
	c     *cluster
	idx   int
	id    crypto.ClientID
	seq   uint64
	nonce uint64
	open  map[batch.Digest]*request
	done  int
	sent  int
	stop  bool
}

type request struct {
	raw      []byte
	firstSeq uint64
	cmds     int
	sentAt   int64
	replies  map[uint32]place
	doneAt   int64
}

const clientRetryUs = 2_000_000

func (k *simClient) start() {
	for i := 0; i < k.c.opts.Inflight; i++ {
		k.submitNew()
	}
}

func (k *simClient) submitNew() {
	if k.stop || k.c.s.now >= k.c.opts.DurationUs-k.c.opts.SettleUs {
		return
	}
	b := &wire.Batch{Submitter: k.id[:], Nonce: k.nonce}
	k.nonce++
	for i := 0; i < k.c.opts.BatchSize; i++ {
		k.seq++
		payload := binary.BigEndian.AppendUint64([]byte("cmd"), k.seq)
		b.Commands = append(b.Commands, &wire.Command{ClientId: k.id[:], Seq: k.seq, Payload: payload})
	}
	raw := wire.Marshal(b)
	d := batch.DigestOf(raw)
	r := &request{raw: raw, firstSeq: k.seq - uint64(len(b.Commands)) + 1, cmds: len(b.Commands), sentAt: k.c.s.now, replies: make(map[uint32]place)}
	k.open[d] = r
	k.sent++
	k.send(d, r)
}

func (k *simClient) send(d batch.Digest, r *request) {
	m := &wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{Batch: r.raw}}}
	for i := range k.c.nodes {
		k.c.sendFromClient(k, uint32(i), m)
	}
	k.c.s.after(clientRetryUs, func() {
		if r.doneAt == 0 {
			k.c.retries++
			k.send(d, r)
		}
	})
}

func (k *simClient) deliver(from uint32, m *wire.ClientMessage) {
	ex := m.GetExecuted()
	if ex == nil {
		return
	}
	d, err := batch.DigestFromBytes(ex.Digest)
	if err != nil {
		return
	}
	r, ok := k.open[d]
	if !ok || r.doneAt != 0 {
		return
	}
	p := place{height: ex.Height, position: ex.Position}
	r.replies[from] = p
	agree := 0
	for _, q := range r.replies {
		if q == p {
			agree++
		}
	}
	if agree < k.c.f+1 {
		return
	}
	r.doneAt = k.c.s.now
	k.done++
	k.c.accepted = append(k.c.accepted, acceptedBatch{client: k.idx, id: k.id, firstSeq: r.firstSeq, cmds: r.cmds, digest: d, at: p, latencyUs: r.doneAt - r.sentAt})
	delete(k.open, d)
	k.submitNew()
}
