package client

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// startAttempt begins a new ordering attempt of fl (docs/protocol.md section 2,
// step 1): a new attempt number, hence a new digest, and fresh timestamps.
func (e *engine) startAttempt(fl *flight, now time.Time) {
	if len(fl.attempts) == maxAttemptsTracked {
		delete(e.digests, fl.attempts[0].digest)
		fl.attempts = slices.Delete(fl.attempts, 0, 1)
	}
	var evidence *wire.RetryEvidence
	if prev := fl.cur; prev != nil {
		// The previous attempt's proof shows the replicas that its
		// timestamp was overtaken by a slot boundary: the evidence that
		// widens delta (docs/protocol.md section 3.1).
		if sr := prev.seqReq.GetSequenceRequest(); sr != nil {
			evidence = &wire.RetryEvidence{Digest: sr.Digest, Ts: sr.Ts, Proof: sr.Proof}
		}
		prev.tsReq, prev.seqReq = nil, nil
		e.c.counters.retries.Add(1)
	}
	raw := fl.body(e.c.id, fl.nAttempts)
	at := e.newAttempt(fl, raw)
	at.tsReq = &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: raw, Retry: evidence}}}
	fl.setPhase(phaseTimestamp, now)
	e.broadcast(at.tsReq)
}

// newAttempt registers the next attempt of fl, whose body is raw, as the
// current one.
func (e *engine) newAttempt(fl *flight, raw []byte) *attempt {
	at := &attempt{
		fl:       fl,
		number:   fl.nAttempts,
		digest:   batch.DigestOf(raw),
		certs:    make([]*wire.TimestampCert, e.c.n),
		acks:     crypto.NewBitmap(e.c.n),
		rejects:  crypto.NewBitmap(e.c.n),
		badCerts: crypto.NewBitmap(e.c.n),
	}
	fl.nAttempts++
	fl.cur = at
	fl.attempts = append(fl.attempts, at)
	e.digests[at.digest] = at
	return at
}

// onTimestampReply records one replica's timestamp (step 2): the
// certificate must name the replica whose connection carried it and place
// the batch under its root. Root signatures are checked only once 2f+1
// certificates are at hand, together as one batch, and only for the
// certificates the proof uses (requestSequence).
func (e *engine) onTimestampReply(from uint32, r *wire.TimestampReply, now time.Time) {
	at := e.lookup(r.Digest)
	if at == nil {
		return
	}
	if at.certs[from] != nil || at.badCerts.Has(int(from)) {
		return // repeated reply, or a replica whose certificate failed
	}
	cert := r.Cert
	switch {
	case cert == nil:
		e.invalid(from, "timestamp reply without certificate", "digest", at.digest.Short())
		return
	case cert.Replica != from:
		e.invalid(from, "certificate names another replica", "digest", at.digest.Short(), "names", cert.Replica)
		return
	case cert.Ts <= 0:
		e.invalid(from, "timestamp is not positive", "digest", at.digest.Short(), "ts", cert.Ts)
		return
	}
	if err := e.c.verifier.CheckPath(at.digest[:], cert); err != nil {
		e.invalid(from, "bad timestamp certificate: "+err.Error(), "digest", at.digest.Short())
		return
	}
	at.certs[from] = cert
	at.nCerts++
	fl := at.fl
	// The record holds what the replica said over its authenticated
	// channel; its signature adds nothing to that (a replica signs any ts).
	fl.addReplicaTS(from, cert.Ts)
	if at == fl.cur && fl.phase == phaseTimestamp && at.nCerts >= e.c.quorum {
		e.requestSequence(at, now)
	}
}

// requestSequence sends the median of 2f+1 certified timestamps with its
// proof (steps 3 and 4). The body goes along for replicas that missed it.
// The proof's root signatures are verified here as one batch; a replica
// whose certificate fails is counted invalid and dropped, and the client
// waits for another.
func (e *engine) requestSequence(at *attempt, now time.Time) {
	proof := &wire.SequenceProof{Certs: make([]*wire.TimestampCert, 0, e.c.quorum)}
	vals := make([]int64, 0, e.c.quorum)
	for _, c := range at.certs {
		if c != nil && len(proof.Certs) < e.c.quorum {
			proof.Certs = append(proof.Certs, c)
			vals = append(vals, c.Ts)
		}
	}
	if err := e.c.verifier.VerifyCerts(at.digest[:], proof.Certs); err != nil {
		for _, c := range proof.Certs {
			if e.c.verifier.VerifyCerts(at.digest[:], []*wire.TimestampCert{c}) != nil {
				e.invalid(c.Replica, "bad timestamp certificate: "+err.Error(), "digest", at.digest.Short())
				at.certs[c.Replica] = nil
				at.badCerts.Set(int(c.Replica))
				at.nCerts--
			}
		}
		if at.nCerts >= e.c.quorum {
			e.requestSequence(at, now)
		}
		return
	}
	at.ts = tsproof.Median(vals, e.c.f)
	raw := at.tsReq.GetTimestampRequest().GetBatch()
	at.seqReq = &wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: &wire.SequenceRequest{
		Digest: at.digest[:], Ts: at.ts, Proof: proof, Batch: raw,
	}}}
	at.tsReq = nil
	at.fl.setPhase(phaseSequence, now)
	e.broadcast(at.seqReq)
}

// onSequenceAck counts an ack for the timestamp the client asked for
// (step 6); 2f+1 of them sequence the batch.
func (e *engine) onSequenceAck(from uint32, a *wire.SequenceAck, now time.Time) {
	at := e.lookup(a.Digest)
	if at == nil {
		return
	}
	if at.ts == 0 || a.Ts != at.ts {
		e.invalid(from, "ack for a timestamp the client did not request", "digest", at.digest.Short(), "ts", a.Ts, "want", at.ts)
		return
	}
	if at.acks.Has(int(from)) || at.rejects.Has(int(from)) {
		return
	}
	at.acks.Set(int(from))
	if at.acks.Count() < e.c.quorum || !at.sequencedAt.IsZero() {
		return
	}
	at.ackedAt = now
	e.markSequenced(at, now)
	if fl := at.fl; at == fl.cur && fl.phase == phaseSequence {
		at.seqReq = nil
		fl.setPhase(phaseSequenced, now)
	}
}

func (e *engine) markSequenced(at *attempt, now time.Time) {
	fl := at.fl
	at.sequencedAt = now
	if fl.sequencedAt.IsZero() {
		fl.sequencedAt = now
		e.c.counters.sequenced.Add(uint64(len(fl.cmds)))
	}
}

// onSequenceReject counts a refusal; once refusals leave fewer than 2f+1
// replicas that could still ack, the attempt is hopeless and a new one
// starts after back-off.
func (e *engine) onSequenceReject(from uint32, r *wire.SequenceReject, now time.Time) {
	at := e.lookup(r.Digest)
	if at == nil {
		return
	}
	if at.ts == 0 {
		e.invalid(from, "sequence reject before any sequence request", "digest", at.digest.Short())
		return
	}
	e.countReject(from)
	e.c.log.Debug("sequence rejected", "replica", from, "digest", at.digest.Short(), "ts", at.ts,
		"local_sync_ts", r.LocalSyncTs, "reason", r.Reason)
	e.refused(from, at, now)
}

// onRejected counts a refusal of any request; for the current attempt of a
// Pompe batch it weighs like a sequence reject.
func (e *engine) onRejected(from uint32, r *wire.Rejected, now time.Time) {
	e.countReject(from)
	at := e.lookup(r.Digest)
	e.c.log.Info("request rejected", "replica", from, "reason", r.Reason)
	if at == nil || e.c.cfg.Mode == modeBaseline {
		return
	}
	e.refused(from, at, now)
}

func (e *engine) countReject(from uint32) {
	e.c.counters.rejects.Add(1)
	e.c.counters.perReplica[from].rejects.Add(1)
}

func (e *engine) refused(from uint32, at *attempt, now time.Time) {
	fl := at.fl
	if at.acks.Has(int(from)) || at.rejects.Has(int(from)) {
		return
	}
	at.rejects.Set(int(from))
	if at != fl.cur || (fl.phase != phaseTimestamp && fl.phase != phaseSequence) {
		return
	}
	if e.c.n-at.rejects.Count() >= e.c.quorum {
		return
	}
	b := fl.backoff
	fl.backoff = min(2*fl.backoff, e.c.cfg.BackoffMax)
	// Jitter keeps clients rejected by the same slot from retrying in step.
	wait := b/2 + rand.N(b/2+1)
	fl.setPhase(phaseBackoff, now)
	fl.retryAt = now.Add(wait)
	e.c.log.Debug("attempt cannot be sequenced; backing off", "digest", at.digest.Short(), "wait", wait)
}
