package checker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// Sources names the files of one run: where each replica's execution log
// and every client record file is, and how many replicas the cluster had.
// The files may lie in different directories (a bench run keeps its client
// records in its output directory and each replica its log in its home).
type Sources struct {
	// ExecLogs maps a replica id to its execution log.
	ExecLogs map[int]string
	// ClientRecords are the client record files, read in this order.
	ClientRecords []string
	// Replicas is the cluster size n. 0 infers it as the highest replica
	// id with a log, plus one (a replica without a log then goes unseen).
	Replicas int
}

// ErrBadCorrect marks an error in Options.Correct: an id that does not
// exist, a repeated id, or fewer than n-f replicas.
var ErrBadCorrect = errors.New("bad set of correct replicas")

// Locate lists the run files directly in dir: execution logs named
// replicaN.exec.tsv and client records named clientN.records.jsonl (other
// files are ignored). Replicas is left 0.
func Locate(dir string) (Sources, error) {
	s := Sources{ExecLogs: map[int]string{}}
	if err := s.Add(dir); err != nil {
		return Sources{}, err
	}
	return s, nil
}

// Add adds the run files directly in dir to s. A replica whose log is
// already in s is an error: two logs for one replica cannot both be its.
func (s *Sources) Add(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("checker: %w", err)
	}
	if s.ExecLogs == nil {
		s.ExecLogs = map[int]string{}
	}
	var records []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if r, ok := runlog.ParseExecLogName(e.Name()); ok {
			if err := s.AddExecLog(r, path); err != nil {
				return err
			}
		} else if _, ok := runlog.ParseClientRecordsName(e.Name()); ok {
			records = append(records, path)
		}
	}
	sort.Slice(records, func(i, j int) bool { return clientIndex(records[i]) < clientIndex(records[j]) })
	s.ClientRecords = append(s.ClientRecords, records...)
	return nil
}

// AddExecLog sets replica's execution log, refusing a second one.
func (s *Sources) AddExecLog(replica int, path string) error {
	if s.ExecLogs == nil {
		s.ExecLogs = map[int]string{}
	}
	if prev, dup := s.ExecLogs[replica]; dup && prev != path {
		return fmt.Errorf("checker: two execution logs for replica %d: %s and %s", replica, prev, path)
	}
	s.ExecLogs[replica] = path
	return nil
}

func clientIndex(path string) int {
	c, _ := runlog.ParseClientRecordsName(filepath.Base(path))
	return c
}

// replicaIDs returns the ids with a log, sorted.
func (s *Sources) replicaIDs() []int {
	ids := make([]int, 0, len(s.ExecLogs))
	for r := range s.ExecLogs {
		ids = append(ids, r)
	}
	slices.Sort(ids)
	return ids
}

// clusterSize returns n and f, inferring n from the logs if unset.
func (s *Sources) clusterSize() (n, f int, inferred bool) {
	n = s.Replicas
	if n <= 0 {
		inferred = true
		for r := range s.ExecLogs {
			n = max(n, r+1)
		}
	}
	return n, max(n-1, 0) / 3, inferred
}

// validateCorrect checks Options.Correct against a cluster of n replicas
// with at most f faulty. The checker's ranges are sound only over at least
// n-f replicas: the median of any 2f+1 timestamps has f+1 of them at or
// above it and f+1 at or below, so at least one on each side comes from
// any n-f replicas; over fewer, the ranges shrink below the median and
// correct runs show false violations.
func validateCorrect(correct []int, n, f int, inferred bool) error {
	if len(correct) == 0 {
		return nil
	}
	how := ""
	if inferred {
		how = ", inferred from the logs present"
	}
	seen := make(map[int]bool, len(correct))
	for _, r := range correct {
		switch {
		case r < 0 || r >= n:
			return fmt.Errorf("%w: replica %d does not exist (n = %d%s: ids 0..%d)", ErrBadCorrect, r, n, how, n-1)
		case seen[r]:
			return fmt.Errorf("%w: replica %d is listed twice", ErrBadCorrect, r)
		}
		seen[r] = true
	}
	if len(correct) < n-f {
		return fmt.Errorf("%w: %s names %d replicas, but with n = %d%s at least n-f = %d are correct; "+
			"checking fewer narrows the timestamp ranges and reports violations a correct run does not have",
			ErrBadCorrect, joinInts(correct), len(correct), n, how, n-f)
	}
	return nil
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}
