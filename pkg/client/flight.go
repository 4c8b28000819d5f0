package client

import (
	"time"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/wire"
)

// phase is where a batch stands in its current attempt.
type phase int

const (
	phaseTimestamp phase = iota // Pompe: collecting 2f+1 valid timestamps
	phaseSequence               // Pompe: collecting 2f+1 sequence acks
	phaseSequenced              // Pompe: sequenced, waiting for execution
	phaseBackoff                // Pompe: rejected, waiting to start a new attempt
	phaseSubmitted              // baseline: waiting for execution
	phaseExecuting              // an execution was accepted; no more retries
)

// maxReplicaTimestamps bounds the timestamps a batch remembers for its
// records, over all attempts.
const maxReplicaTimestamps = 4096

// flight is one batch of commands outstanding, over all its attempts.
type flight struct {
	nonce    uint64
	cmds     []*command
	wireCmds []*wire.Command
	bySeq    map[uint64]int // seq -> index in cmds
	done     []bool
	left     int // commands not yet completed

	// dupOf[i] is the accepted report that called command i a duplicate;
	// the command completes as Duplicate if no other attempt reports its
	// result within RetryTimeout of dupSince.
	dupOf    []execRef
	dupSince time.Time

	attempts  []*attempt // tracked attempts, oldest first
	cur       *attempt
	nAttempts uint32
	phase     phase
	// progressAt is the last phase change: the retry timer runs from it.
	progressAt time.Time
	retryAt    time.Time // end of the back-off
	backoff    time.Duration

	sentAt      time.Time
	sequencedAt time.Time // first time any attempt was sequenced
	replicaTS   []runlog.ReplicaTimestamp
}

// execRef is one accepted execution report for one attempt.
type execRef struct {
	at *attempt
	ex *wire.Executed
}

// attempt is one digest of a flight: its own batch header, timestamps,
// acks and execution reports.
type attempt struct {
	fl     *flight
	number uint32
	digest batch.Digest
	// Messages kept to resend to a replica that (re)connects; dropped
	// once the attempt is no longer current.
	tsReq  *wire.ClientMessage
	seqReq *wire.ClientMessage
	submit *wire.ClientMessage

	certs  []*wire.TimestampCert // by replica; nil: none valid yet
	nCerts int
	// badCerts: replicas whose certificate failed its signature check; their
	// further replies for this attempt are ignored.
	badCerts crypto.Bitmap
	ts       int64 // the median sent in the sequence request
	acks     crypto.Bitmap
	rejects  crypto.Bitmap

	sequencedAt time.Time
	// ackedAt is when this attempt gathered 2f+1 sequence acks; zero if
	// the client never saw them (an execution report came first, which
	// sets sequencedAt but not this). Records report only this.
	ackedAt time.Time
	votes   execVotes
}

func newFlight(cmds []*command, nonce uint64, id crypto.ClientID) *flight {
	fl := &flight{
		nonce: nonce,
		cmds:  cmds,
		bySeq: make(map[uint64]int, len(cmds)),
		done:  make([]bool, len(cmds)),
		dupOf: make([]execRef, len(cmds)),
		left:  len(cmds),
	}
	for i, c := range cmds {
		fl.wireCmds = append(fl.wireCmds, &wire.Command{ClientId: id[:], Seq: c.seq, Payload: c.payload})
		fl.bySeq[c.seq] = i
	}
	return fl
}

// body serializes the batch for attempt number.
func (fl *flight) body(id crypto.ClientID, number uint32) []byte {
	return wire.Marshal(fl.batch(id, number))
}

// signedBody serializes the batch for attempt number, signed with key for
// cluster (baseline mode: replicas accept a body only with its submitter's
// signature, see batch.CheckSigned).
func (fl *flight) signedBody(key crypto.PrivateKey, cluster []byte, number uint32) []byte {
	return batch.Sign(fl.batch(crypto.ClientIDOf(key.Public()), number), key, cluster)
}

func (fl *flight) batch(id crypto.ClientID, number uint32) *wire.Batch {
	return &wire.Batch{Submitter: id[:], Attempt: number, Nonce: fl.nonce, Commands: fl.wireCmds}
}

func (fl *flight) addReplicaTS(replica uint32, ts int64) {
	if len(fl.replicaTS) < maxReplicaTimestamps {
		fl.replicaTS = append(fl.replicaTS, runlog.ReplicaTimestamp{Replica: replica, TsUs: uint64(ts)})
	}
}

// setPhase moves to p and restarts the retry timer.
func (fl *flight) setPhase(p phase, now time.Time) {
	fl.phase = p
	fl.progressAt = now
}
