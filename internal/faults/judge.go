package faults

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// Judgement is what a run with faults showed.
type Judgement struct {
	// LostAcknowledged counts commands a client saw executed that a
	// replica's execution log lacks at the place the client was told,
	// although that log reaches the command's height (or no log has it).
	LostAcknowledged int64 `json:"lost_acknowledged"`
	// Lagging lists replicas whose logs lack commands acknowledged before
	// the faults ended: they did not catch up.
	Lagging []int `json:"lagging_replicas,omitempty"`
	// RecoveryS is the time from the end of the last fault until executed
	// throughput was back to RecoveryFraction of the pre-fault rate, in
	// 1 s windows; -1 if it never was.
	RecoveryS float64 `json:"recovery_s"`
	// RecoveryHalfS is the same for half the pre-fault rate: a coarser
	// figure that noise in short runs on a loaded machine does not blur.
	RecoveryHalfS float64 `json:"recovery_half_s"`
	// PreFaultPerS is the executed rate before the first fault.
	PreFaultPerS float64 `json:"pre_fault_per_s"`
	// Examples describe a few lost commands.
	Examples []string `json:"lost_examples,omitempty"`
}

// Recovery measurement.
const (
	RecoveryFraction = 0.8
	bucketUs         = 1_000_000
	stepUs           = 100_000
	warmupUs         = 1_000_000
	maxLostExamples  = 5
)

type cmdKey struct {
	client runlog.ClientID
	seq    uint64
}

type place struct {
	height   uint64
	position uint32
}

type acked struct {
	key    cmdKey
	at     place
	digest runlog.Digest
	execUs int64
}

// Judge reads the client records and the n replicas' execution logs in
// runDir. loadStart and window are the load's start and length; applied
// are the faults as they happened (seconds from loadStart).
func Judge(runDir string, n int, loadStart time.Time, window time.Duration, applied []Applied) (Judgement, error) {
	replicas := make([]int, n)
	for i := range replicas {
		replicas[i] = i
	}
	return JudgeReplicas(runDir, replicas, loadStart, window, applied)
}

// JudgeReplicas is Judge over the execution logs of the given replicas
// only: a run with Byzantine replicas judges its correct ones.
func JudgeReplicas(runDir string, replicas []int, loadStart time.Time, window time.Duration, applied []Applied) (Judgement, error) {
	cmds, err := readAcknowledged(runDir)
	if err != nil {
		return Judgement{}, err
	}
	j := Judgement{RecoveryS: -1, RecoveryHalfS: -1}
	startUs := loadStart.UnixMicro()
	faultStartUs, faultEndUs := startUs, startUs
	if len(applied) > 0 {
		first, last := applied[0].StartS, applied[0].EndS
		for _, a := range applied {
			first, last = min(first, a.StartS), max(last, a.EndS)
		}
		faultStartUs, faultEndUs = startUs+int64(first*1e6), startUs+int64(last*1e6)
	}
	lost := make([]bool, len(cmds))
	index := make(map[cmdKey]int, len(cmds))
	for i, c := range cmds {
		index[c.key] = i
	}
	for _, r := range replicas {
		lagging, err := checkReplica(filepath.Join(runDir, runlog.ExecLogName(r)), cmds, index, lost, faultEndUs)
		if err != nil {
			return Judgement{}, err
		}
		if lagging {
			j.Lagging = append(j.Lagging, r)
		}
	}
	for i, l := range lost {
		if l {
			j.LostAcknowledged++
			if len(j.Examples) < maxLostExamples {
				c := cmds[i]
				j.Examples = append(j.Examples, fmt.Sprintf("client %s seq %d acknowledged at height %d position %d", c.key.client, c.key.seq, c.at.height, c.at.position))
			}
		}
	}
	execs := make([]int64, len(cmds))
	for i, c := range cmds {
		execs[i] = c.execUs
	}
	slices.Sort(execs)
	endUs := startUs + window.Microseconds()
	j.PreFaultPerS, j.RecoveryS = recovery(execs, startUs, endUs, faultStartUs, faultEndUs, RecoveryFraction)
	_, j.RecoveryHalfS = recovery(execs, startUs, endUs, faultStartUs, faultEndUs, 0.5)
	return j, nil
}

// recovery measures the executed rate before the faults and how long after
// faultEndUs a 1 s window first reached RecoveryFraction of it.
func recovery(execs []int64, startUs, endUs, faultStartUs, faultEndUs int64, fraction float64) (preRate, recoveryS float64) {
	count := func(from, to int64) int {
		return sort.Search(len(execs), func(i int) bool { return execs[i] >= to }) -
			sort.Search(len(execs), func(i int) bool { return execs[i] >= from })
	}
	from := startUs
	if faultStartUs-startUs > 2*warmupUs {
		from += warmupUs // clients connect and fill the pipeline first
	}
	if faultStartUs <= from {
		return 0, -1
	}
	preRate = float64(count(from, faultStartUs)) / (float64(faultStartUs-from) / 1e6)
	need := fraction * preRate * bucketUs / 1e6
	for t := faultEndUs; t+bucketUs <= endUs; t += stepUs {
		if float64(count(t, t+bucketUs)) >= need {
			return round3(preRate), round3(float64(t-faultEndUs) / 1e6)
		}
	}
	return round3(preRate), -1
}

// readAcknowledged reads every executed command of every client record
// file in dir.
func readAcknowledged(dir string) ([]acked, error) {
	var out []acked
	err := runlog.EachClientRecord(dir, func(rec runlog.ClientRecord) {
		if rec.ExecutedUs != 0 && rec.Height != 0 {
			out = append(out, acked{key: cmdKey{rec.Client, rec.Seq}, at: place{rec.Height, rec.Position}, digest: rec.Digest, execUs: rec.ExecutedUs})
		}
	})
	if err != nil {
		return nil, fmt.Errorf("faults: %w", err)
	}
	return out, nil
}

// checkReplica streams one execution log and marks the acknowledged
// commands it lost; it reports whether the replica lacks a command
// acknowledged before faultEndUs.
func checkReplica(path string, cmds []acked, index map[cmdKey]int, lost []bool, faultEndUs int64) (lagging bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("faults: %w", err)
	}
	defer f.Close()
	seenAt := make([]place, len(cmds))
	seen := make([]bool, len(cmds))
	batches := map[place]runlog.Digest{}
	var top uint64
	r := runlog.NewExecReader(f)
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) || errors.Is(err, runlog.ErrTruncated) {
			break
		}
		if err != nil {
			return false, fmt.Errorf("faults: %s: %w", path, err)
		}
		top = max(top, e.Height)
		batches[place{e.Height, e.Position}] = e.Digest
		if i, ok := index[cmdKey{e.Client, e.Seq}]; ok && !seen[i] {
			seen[i], seenAt[i] = true, place{e.Height, e.Position}
		}
	}
	for i, c := range cmds {
		switch {
		case !seen[i]:
			if c.at.height <= top {
				lost[i] = true
			}
			if c.execUs <= faultEndUs {
				lagging = true
			}
		case seenAt[i] != c.at:
			// A client told "duplicate" by a later batch records that
			// batch's place; the command itself executed earlier.
			if d, ok := batches[c.at]; !ok || d != c.digest {
				lost[i] = true
			}
		}
	}
	return lagging, nil
}
