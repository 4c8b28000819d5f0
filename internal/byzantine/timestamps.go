package byzantine

import (
	"hash/fnv"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// lieTimestamp replaces a timestamp reply with a validly signed one (a
// one-leaf Merkle root) for the timestamp the misbehaviour wants. The
// protocol bounds no single replica's timestamp (docs/protocol.md section 2.5 checks only
// the proof's median, against the sequencing replica's promise); a client
// takes only positive timestamps, which reverse-ts respects and ts-past
// does on any real clock.
func (t *Transformer) lieTimestamp(to crypto.ClientID, m *wire.ClientMessage) *wire.ClientMessage {
	tr := m.GetTimestampReply()
	if tr == nil || tr.Cert == nil || len(tr.Digest) == 0 {
		return m
	}
	real := tr.Cert.Ts
	lie := real
	switch t.cfg.Kind {
	case TSPast:
		lie = real - FarUs
	case TSFuture:
		lie = real + FarUs
	case TSLie:
		lie = real + FarUs
		if tr.Digest[0]%2 == 0 {
			lie = real - FarUs
		}
	case ReverseTS:
		lie = t.reverse(tr.Digest, real)
	case DelayTS:
		if t.targeted(to) {
			lie = real + t.cfg.DelayUs
		}
	}
	if lie == real {
		return m
	}
	cluster := t.cfg.Committee.Cluster()
	leaf := tsproof.Leaf(cluster, t.cfg.Self, tr.Digest, lie)
	tree, err := tsproof.Build([]tsproof.Hash{leaf})
	if err != nil {
		return m
	}
	sig := t.signer.Sign(crypto.DomainTSRoot, crypto.U32(t.cfg.Self), tree.Root[:], crypto.U32(1))
	cert := &wire.TimestampCert{Replica: t.cfg.Self, Ts: lie, Root: tree.Root[:], LeafCount: 1, Sig: sig}
	return &wire.ClientMessage{Body: &wire.ClientMessage_TimestampReply{TimestampReply: &wire.TimestampReply{Digest: tr.Digest, Cert: cert}}}
}

// reverse hands out timestamps in reverse arrival order: each new digest
// gets one below every earlier one (and below its real timestamp, so the
// lie starts in the present); a repeated request gets its earlier lie.
func (t *Transformer) reverse(d []byte, real int64) int64 {
	if ts, ok := t.lies.Get(string(d)); ok {
		return ts
	}
	ts := real
	if t.lastLie != 0 && t.lastLie-1 < ts {
		ts = t.lastLie - 1
	}
	if ts < 1 {
		ts = 1 // the floor a client accepts; later requests share it
	}
	t.lastLie = ts
	t.lies.Put(string(d), ts)
	return ts
}

// targeted reports whether delay-ts delays client c's timestamps.
func (t *Transformer) targeted(c crypto.ClientID) bool {
	if t.targets != nil {
		_, ok := t.targets[c]
		return ok
	}
	h := fnv.New32a()
	h.Write(c[:])
	return h.Sum32()%2 == 0
}
