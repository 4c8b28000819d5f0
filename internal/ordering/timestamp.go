package ordering

import (
	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/bodies"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

func (o *Orderer) reject(to crypto.ClientID, d []byte, reason string) {
	o.out.SendClient(to, &wire.ClientMessage{Body: &wire.ClientMessage_Rejected{Rejected: &wire.Rejected{Digest: d, Reason: reason}}})
}

// onTimestampRequest assigns this replica's timestamp to a batch owned by
// the requesting client. The reply leaves when the signing window closes.
func (o *Orderer) onTimestampRequest(from crypto.ClientID, r *wire.TimestampRequest) error {
	d := batch.DigestOf(r.Batch)
	if b, ok := o.bodies.get(d); ok && !b.fetched {
		if b.owner != from {
			o.reject(from, d[:], "batch belongs to another client")
			return nil
		}
		if b.cert != nil {
			o.sendTimestamp(from, d, b.cert)
		}
		return nil // still in the open window otherwise
	}
	// One timestamp per digest while it is sequenced here or known to be
	// committed (docs/protocol.md section 3.3): a second one would only serve a proof at
	// another ts for a batch that already has its place.
	if _, ok := o.sequenced[d]; ok {
		return nil
	}
	if o.recent.Has(d) || o.bodyStored(d) {
		o.reject(from, d[:], "batch already in a block")
		return nil
	}
	// Room first: a refused request costs no decoding.
	size := int64(len(r.Batch))
	if reason := o.bodies.admit(&o.cfg, from, size); reason != "" {
		o.gcBodies()
		if reason = o.bodies.admit(&o.cfg, from, size); reason != "" {
			o.reject(from, d[:], reason)
			return nil
		}
	}
	if err := batch.CheckOwned(r.Batch, from, o.cfg.Limits); err != nil {
		o.reject(from, d[:], err.Error())
		return err
	}
	o.noteRetry(r.Retry)
	ts := o.nextTimestamp()
	o.bodies.put(d, &body{raw: r.Batch, owner: from, myTS: ts, at: o.now})
	if len(o.window) == 0 {
		o.windowAt = o.now
	}
	o.window = append(o.window, windowReq{client: from, d: d, ts: ts})
	return nil
}

// nextTimestamp returns a timestamp above every earlier one, restarts
// included: the high-water mark is persisted (in the same Ready, before the
// reply) whenever a timestamp would exceed it.
func (o *Orderer) nextTimestamp() int64 {
	ts := o.now
	if ts <= o.lastTS {
		ts = o.lastTS + 1
	}
	if ts <= o.localSync {
		// A lagging clock must not starve this replica's clients.
		ts = o.localSync + 1
	}
	o.lastTS = ts
	if ts > o.hwm {
		o.hwm = ts + hwmStepUs
		o.out.Writes.Put([]byte{prefixHWM}, i64(o.hwm))
		// Timestamp replies leave before other writes are synced, but
		// never before the mark that covers them.
		o.out.Barrier = true
	}
	return ts
}

// closeWindow signs one Merkle root over the window's timestamps and sends
// every client its certificate.
func (o *Orderer) closeWindow() {
	cluster := o.cfg.Committee.Cluster()
	leaves := make([]tsproof.Hash, len(o.window))
	for i, w := range o.window {
		leaves[i] = tsproof.Leaf(cluster, o.cfg.Self, w.d[:], w.ts)
	}
	tree, err := tsproof.Build(leaves)
	if err != nil {
		o.window = o.window[:0]
		return
	}
	count := uint32(len(leaves))
	o.signedAt = o.now
	sig := o.cfg.Signer.Sign(crypto.DomainTSRoot, crypto.U32(o.cfg.Self), tree.Root[:], crypto.U32(count))
	o.cfg.Verifier.Signed(o.cfg.Self, tree.Root[:], count, sig)
	root := tree.Root[:]
	for i, w := range o.window {
		cert := &wire.TimestampCert{Replica: o.cfg.Self, Ts: w.ts, Root: root, LeafCount: count, Index: uint32(i), Path: tree.Paths[i], Sig: sig}
		if b, ok := o.bodies.get(w.d); ok {
			b.cert = cert
		}
		o.sendTimestamp(w.client, w.d, cert)
	}
	o.window = o.window[:0]
}

// sendTimestamp sends a certificate early: a timestamp depends on no
// durable state but the high-water mark, a Barrier write.
func (o *Orderer) sendTimestamp(to crypto.ClientID, d batch.Digest, cert *wire.TimestampCert) {
	o.out.SendClientEarly(to, &wire.ClientMessage{Body: &wire.ClientMessage_TimestampReply{TimestampReply: &wire.TimestampReply{Digest: d[:], Cert: cert}}})
}

// gcBodies drops timestamped bodies that were never sequenced: those whose
// timestamp fell behind a committed slot boundary, and those past their TTL.
// A client that sequences such a batch later includes the body again.
func (o *Orderer) gcBodies() {
	o.bodies.expire(o.now, o.committedBoundary(), o.cfg.UnsequencedTTLUs)
}

// committedBoundary is the slot boundary of the newest committed block
// this layer has seen.
func (o *Orderer) committedBoundary() int64 { return o.committedT }

func (o *Orderer) storeBody(d batch.Digest, raw []byte) {
	if o.stored.Has(d) {
		return
	}
	bodies.Put(&o.out.Writes, d, raw)
	o.stored.Add(d)
}

// bodyStored reports whether d's body is stored, which happens only once a
// block holding d passed validation here (and survives restarts, unlike
// recent).
func (o *Orderer) bodyStored(d batch.Digest) bool {
	if o.stored.Has(d) {
		return true
	}
	_, err := bodies.Get(o.store, d)
	return err == nil
}
