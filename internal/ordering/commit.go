package ordering

import (
	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/bodies"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/storage"
)

// Committed implements hotstuff.PayloadRules: the block joins the execution
// queue and is released, in order, once every body is present.
func (o *Orderer) Committed(b *hotstuff.Block) {
	o.queue = append(o.queue, b)
	o.drainCommitted()
}

func (o *Orderer) drainCommitted() {
	for len(o.queue) > 0 {
		b := o.queue[0]
		si, err := o.slotOf(b)
		if err != nil {
			// A committed block always carries a decodable slot: 2f+1 replicas
			// validated it. Skip rather than stall on corrupt storage.
			o.queue = o.queue[1:]
			continue
		}
		eb := outbox.ExecBlock{Height: b.Height, View: b.View, Hash: b.Hash}
		var absent []batch.Digest
		for _, e := range si.entries {
			raw, bt := o.lookup(e.d)
			if raw == nil {
				absent = append(absent, e.d)
				continue
			}
			eb.Batches = append(eb.Batches, outbox.ExecBatch{Digest: e.d, TS: e.ts, Batch: bt})
		}
		if len(absent) > 0 {
			hints := make([][]uint32, len(absent))
			for i := range hints {
				hints[i] = []uint32{b.Proposer}
			}
			o.requestBodies(absent, hints, b.Height)
			return
		}
		o.queue = o.queue[1:]
		for _, e := range si.entries {
			raw, _ := o.lookup(e.d)
			o.storeBody(e.d, raw)
			bodies.Committed(&o.out.Writes, b.Height, e.d)
			if _, ok := o.sequenced[e.d]; ok {
				o.dropSequenced(e.d)
			}
			if k, ok := o.knownBody[e.d]; ok {
				o.forgetKnown(slotEntry{d: k.d, ts: k.ts})
			}
			o.bodies.remove(e.d)
			o.remember(e.d, e.ts)
		}
		if si.boundary > o.committedT {
			o.committedT = si.boundary
			o.noteCommittedBoundary(si.boundary)
			o.dropStale()
		}
		o.out.Committed = append(o.out.Committed, eb)
		o.gcBodies()
		o.gcKnown()
		o.pruner.Prune(o.store, &o.out.Writes, b.Height)
		o.forgetAbandoned(b.Height)
	}
}

// dropStale forgets batches sequenced here whose timestamp fell behind the
// committed boundary without being committed: every later slot starts at or
// above that boundary, so none can hold them (their clients retried under
// a new digest, or they never gathered 2f+1 acks).
func (o *Orderer) dropStale() {
	for d, e := range o.sequenced {
		if e.ts < o.committedT {
			o.dropSequenced(d)
		}
	}
}

// gcKnown forgets proven batches learned from others whose timestamp fell
// behind the committed boundary without being included: no later slot can
// hold them.
func (o *Orderer) gcKnown() {
	for k, e := range o.known {
		if e.ts < o.committedT {
			o.forgetKnown(k)
		}
	}
}

func (o *Orderer) remember(d batch.Digest, ts int64) {
	if !o.recent.Has(d) {
		o.recent.Put(d, ts)
	}
}

// addSequenced holds a batch acked here until a committed block holds it,
// and accounts it against its submitter's share.
func (o *Orderer) addSequenced(e *entry) {
	e.size = entrySize(e.raw, e.proof)
	copy(e.owner[:], e.b.GetSubmitter())
	o.sequenced[e.d] = e
	o.seqBytes += e.size
	o.seqCount[e.owner]++
	o.seqSize[e.owner] += e.size
}

// dropSequenced forgets a sequenced batch, durably.
func (o *Orderer) dropSequenced(d batch.Digest) {
	e, ok := o.sequenced[d]
	if !ok {
		return
	}
	delete(o.sequenced, d)
	o.out.Writes.Delete(storage.Key(prefixSequenced, d[:]))
	o.seqBytes -= e.size
	o.seqCount[e.owner]--
	o.seqSize[e.owner] -= e.size
	if o.seqCount[e.owner] <= 0 {
		delete(o.seqCount, e.owner)
		delete(o.seqSize, e.owner)
	}
}

// admitSequenced reports why a batch of size bytes submitted by owner cannot
// be sequenced here now ("" if it can). Sequenced batches are bounded in all
// (MaxPending, MaxPendingBytes) and per submitter (a quarter of each): at
// the bound the sequence request is refused with the reason and the client
// retries; nothing acked is ever dropped for a newcomer, since an acked
// batch must be reported by collects until a block holds it.
func (o *Orderer) admitSequenced(owner crypto.ClientID, size int64) string {
	switch {
	case len(o.sequenced) >= o.cfg.MaxPending || o.seqBytes+size > o.cfg.MaxPendingBytes:
		return "replica busy: too many sequenced batches pending"
	case o.seqCount[owner] >= max(o.cfg.MaxPending/4, 1) || o.seqSize[owner]+size > o.cfg.MaxPendingBytes/4:
		return "client holds its full share of sequenced batches pending"
	}
	return ""
}
