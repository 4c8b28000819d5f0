package client

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// maxReportsPerReplica bounds the distinct execution reports one replica
// may have counted for one digest: a correct replica sends one per
// execution of the digest, and a lying one must not grow memory.
const maxReportsPerReplica = 4

// execKey identifies the content of an execution report: replicas agree
// when their keys are equal.
type execKey [32]byte

// execVote gathers the replicas that sent one report.
type execVote struct {
	key      execKey
	ex       *wire.Executed
	voters   crypto.Bitmap
	accepted bool
}

// execVotes are the execution reports for one digest.
type execVotes struct {
	votes   []*execVote
	reports []uint8 // by replica: distinct reports counted
}

// add counts replica's report; it returns the vote when this report made
// it reach threshold.
func (v *execVotes) add(n, threshold int, replica uint32, key execKey, ex *wire.Executed) *execVote {
	if v.reports == nil {
		v.reports = make([]uint8, n)
	}
	var vote *execVote
	for _, x := range v.votes {
		if x.key == key {
			vote = x
			break
		}
	}
	if vote != nil && vote.voters.Has(int(replica)) {
		return nil
	}
	if v.reports[replica] >= maxReportsPerReplica {
		return nil
	}
	v.reports[replica]++
	if vote == nil {
		vote = &execVote{key: key, ex: ex, voters: crypto.NewBitmap(n)}
		v.votes = append(v.votes, vote)
	}
	vote.voters.Set(int(replica))
	if !vote.accepted && vote.voters.Count() >= threshold {
		vote.accepted = true
		return vote
	}
	return nil
}

// checkExecuted validates a report against the batch: one result per
// command, every sequence number from the batch exactly once. It returns
// the key of the report, which lists results in batch order so that
// replicas listing them in another order still agree.
func checkExecuted(fl *flight, ex *wire.Executed) (execKey, error) {
	if len(ex.Results) != len(fl.cmds) {
		return execKey{}, fmt.Errorf("%d results for %d commands", len(ex.Results), len(fl.cmds))
	}
	order := make([]*wire.CommandResult, len(fl.cmds))
	for _, r := range ex.Results {
		if r == nil {
			return execKey{}, errors.New("empty result")
		}
		i, ok := fl.bySeq[r.Seq]
		if !ok {
			return execKey{}, fmt.Errorf("result for seq %d, not in the batch", r.Seq)
		}
		if order[i] != nil {
			return execKey{}, fmt.Errorf("two results for seq %d", r.Seq)
		}
		order[i] = r
	}
	h := sha256.New()
	var buf [8 + 4 + 8]byte
	binary.BigEndian.PutUint64(buf[0:], ex.Height)
	binary.BigEndian.PutUint32(buf[8:], ex.Position)
	binary.BigEndian.PutUint64(buf[12:], uint64(ex.Ts))
	h.Write(buf[:])
	for _, r := range order {
		var hdr [9]byte
		if r.Duplicate {
			hdr[0] = 1
		}
		binary.BigEndian.PutUint64(hdr[1:], uint64(len(r.Result)))
		h.Write(hdr[:])
		h.Write(r.Result)
	}
	var k execKey
	h.Sum(k[:0])
	return k, nil
}
