package ordering

import (
	"crypto/sha256"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

func (o *Orderer) ack(to crypto.ClientID, d batch.Digest, ts int64) {
	o.out.SendClient(to, &wire.ClientMessage{Body: &wire.ClientMessage_SequenceAck{SequenceAck: &wire.SequenceAck{Digest: d[:], Ts: ts}}})
}

func (o *Orderer) seqReject(to crypto.ClientID, d []byte, reason string) {
	o.out.SendClient(to, &wire.ClientMessage{Body: &wire.ClientMessage_SequenceReject{SequenceReject: &wire.SequenceReject{Digest: d, LocalSyncTs: o.localSync, Reason: reason}}})
}

// onSequenceRequest sequences a batch at the median of its proof
// (docs/protocol.md section 2.5): it is stored durably before the ack, one ts per digest.
func (o *Orderer) onSequenceRequest(from crypto.ClientID, r *wire.SequenceRequest) error {
	d, err := batch.DigestFromBytes(r.Digest)
	if err != nil {
		o.seqReject(from, r.Digest, "malformed digest")
		return err
	}
	if ts, ok := o.recent.Get(d); ok {
		if ts == r.Ts {
			o.ack(from, d, ts)
			// The batch executed already; its Executed reply may have been lost.
			o.out.Resend = append(o.out.Resend, outbox.Resend{Client: from, Digest: d})
		} else {
			o.seqReject(from, d[:], "batch already committed with another timestamp")
		}
		return nil
	}
	if e, ok := o.sequenced[d]; ok {
		if e.ts == r.Ts {
			o.ack(from, d, e.ts)
		} else {
			o.seqReject(from, d[:], "batch already sequenced with another timestamp")
		}
		return nil
	}
	if r.Ts <= o.localSync {
		o.seqReject(from, d[:], "timestamp is not above the promised slot boundary")
		return nil
	}
	raw, bt := o.lookup(d)
	if raw == nil {
		if len(r.Batch) == 0 {
			o.seqReject(from, d[:], "unknown batch: include its body")
			return nil
		}
		if batch.DigestOf(r.Batch) != d {
			o.seqReject(from, d[:], "body does not hash to the digest")
			return nil
		}
		bt, err = batch.Decode(r.Batch, o.cfg.Limits)
		if err != nil {
			o.seqReject(from, d[:], err.Error())
			return err
		}
		raw = r.Batch
	}
	if err := o.checkProof(d, r.Ts, r.Proof); err != nil {
		o.seqReject(from, d[:], "bad proof: "+err.Error())
		return err
	}
	var owner crypto.ClientID
	copy(owner[:], bt.GetSubmitter())
	if reason := o.admitSequenced(owner, entrySize(raw, r.Proof)); reason != "" {
		o.seqReject(from, d[:], reason)
		return nil
	}
	e := &entry{d: d, ts: r.Ts, raw: raw, b: bt, proof: r.Proof}
	o.addSequenced(e)
	o.bodies.remove(d)
	o.out.Writes.Put(storage.Key(prefixSequenced, d[:]), wire.Marshal(&wire.SequencedBatch{Batch: raw, Ts: r.Ts, Proof: r.Proof}))
	o.ack(from, d, r.Ts)
	return nil
}

// checkProof verifies a sequence proof once per exact (d, ts, proof).
func (o *Orderer) checkProof(d batch.Digest, ts int64, p *wire.SequenceProof) error {
	k := proofKey(d, ts, p)
	if o.verified.Has(k) {
		return nil
	}
	if err := o.cfg.Verifier.VerifyProof(d[:], ts, p); err != nil {
		return err
	}
	o.verified.Add(k)
	return nil
}

func proofKey(d batch.Digest, ts int64, p *wire.SequenceProof) [32]byte {
	h := sha256.New()
	h.Write(d[:])
	h.Write(i64(ts))
	// Getters: a proof built in-process may hold nil certificates, which
	// VerifyProof then refuses.
	for _, c := range p.GetCerts() {
		h.Write(crypto.U32(c.GetReplica()))
		h.Write(i64(c.GetTs()))
		h.Write(c.GetRoot())
		h.Write(crypto.U32(c.GetLeafCount()))
		h.Write(crypto.U32(c.GetIndex()))
		for _, s := range c.GetPath() {
			h.Write(s)
		}
		h.Write(c.GetSig())
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}
