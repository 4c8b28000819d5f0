package client

import (
	"time"

	"github.com/pompe-bft/pompe/internal/wire"
)

// startBaseline hands the batch to every replica (docs/protocol.md section 5),
// signed with the client's key: replicas accept a baseline body only with
// its submitter's signature, so that no leader can propose commands in
// this client's name. Its one attempt keeps its digest through resends.
func (e *engine) startBaseline(fl *flight, now time.Time) {
	raw := fl.signedBody(e.c.cfg.Key, e.c.cfg.Cluster, 0)
	at := e.newAttempt(fl, raw)
	at.submit = &wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{Batch: raw}}}
	fl.setPhase(phaseSubmitted, now)
	e.broadcast(at.submit)
}

// resendBaseline sends the same batch again to every replica.
func (e *engine) resendBaseline(fl *flight, now time.Time) {
	e.c.counters.retries.Add(1)
	e.c.log.Debug("batch not executed in time; resending", "digest", fl.cur.digest.Short())
	fl.setPhase(phaseSubmitted, now)
	e.broadcast(fl.cur.submit)
}
