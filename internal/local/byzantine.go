package local

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pompe-bft/pompe/internal/byzantine"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/faults"
)

// ByzantineReport is what a run with Byzantine replicas adds to the
// report: who misbehaved and how, and what the correct replicas' logs show
// of the commands clients saw executed.
type ByzantineReport struct {
	Kind     byzantine.Kind `json:"kind"`
	Replicas []int          `json:"replicas"`
	// LostAcknowledged counts commands a client saw executed that a correct
	// replica's log lacks at the place the client was told.
	LostAcknowledged int64    `json:"lost_acknowledged"`
	Examples         []string `json:"lost_examples,omitempty"`
}

func (b *ByzantineReport) ok() bool { return b == nil || b.LostAcknowledged == 0 }

func (b *ByzantineReport) writeTable(w io.Writer) {
	if b == nil {
		return
	}
	fmt.Fprintf(w, "byzantine: %s on replicas %v (left out of the checks); lost acknowledged %d\n", b.Kind, b.Replicas, b.LostAcknowledged)
	for _, ex := range b.Examples {
		fmt.Fprintf(w, "  lost: %s\n", ex)
	}
}

// parseByzantine reads "KIND[:COUNT]" for a cluster of n replicas: COUNT
// defaults to f and may not exceed it. The Byzantine replicas are 0 ..
// COUNT-1: each leads a term in turn like any replica (leaders rotate
// round robin), and collect-f1 leaders then ignore correct replicas, the
// highest ids.
func parseByzantine(spec string, n int, mode config.Mode) (byzantine.Kind, []int, error) {
	name, countText, hasCount := strings.Cut(spec, ":")
	kind, err := byzantine.Parse(name)
	if err != nil {
		return "", nil, fmt.Errorf("local: --byzantine: %w", err)
	}
	if mode == config.ModeHotStuff && !kind.Baseline() {
		var names []string
		for _, k := range byzantine.BaselineKinds {
			names = append(names, string(k))
		}
		return "", nil, fmt.Errorf("local: --byzantine %s means nothing in hotstuff mode (meaningful there: %s)", kind, strings.Join(names, ", "))
	}
	f, err := crypto.FaultsTolerated(n)
	if err != nil {
		return "", nil, fmt.Errorf("local: %w", err)
	}
	count := f
	if hasCount {
		if count, err = strconv.Atoi(countText); err != nil || count < 1 {
			return "", nil, fmt.Errorf("local: --byzantine %s: count %q, want a positive number", spec, countText)
		}
	}
	if f == 0 {
		return "", nil, fmt.Errorf("local: --byzantine needs at least 4 replicas (f = 0 with %d)", n)
	}
	if count > f {
		return "", nil, fmt.Errorf("local: --byzantine %s: %d Byzantine replicas exceed f = %d of %d replicas", spec, count, f, n)
	}
	replicas := make([]int, count)
	for i := range replicas {
		replicas[i] = i
	}
	return kind, replicas, nil
}

func (o Options) validateByzantine() error {
	if o.Byzantine == "" {
		return nil
	}
	if o.Faults != "" {
		return errors.New("local: --byzantine and --faults together could make more than f replicas faulty; choose one")
	}
	if o.NoLoad {
		return errors.New("local: Byzantine replicas are judged by the clients' records; run them with clients")
	}
	_, _, err := parseByzantine(o.Byzantine, o.Nodes, o.Mode)
	return err
}

// byzantineSet is the run's misbehaviour and its replicas (none without
// --byzantine); the options were validated.
func (r *runner) byzantineSet() (byzantine.Kind, []int) {
	if r.o.Byzantine == "" {
		return "", nil
	}
	k, ids, _ := parseByzantine(r.o.Byzantine, r.o.Nodes, r.o.Mode)
	return k, ids
}

// correctReplicas lists the replicas the checks judge: all but the
// Byzantine ones (nil, meaning all, without any).
func (r *runner) correctReplicas() []int {
	_, byz := r.byzantineSet()
	if len(byz) == 0 {
		return nil
	}
	var ok []int
	for i := range r.o.Nodes {
		if !slices.Contains(byz, i) {
			ok = append(ok, i)
		}
	}
	return ok
}

// replicaArgs is replica i's command line.
func (r *runner) replicaArgs(fr *faultRun, i int, home string) []string {
	args := fr.nodeArgs(home)
	if kind, byz := r.byzantineSet(); slices.Contains(byz, i) {
		args = append(args, "--byzantine", string(kind))
	}
	return args
}

// judgeByzantine checks the correct replicas' logs against what clients
// saw executed; nil without Byzantine replicas.
func (r *runner) judgeByzantine(runDir string) (*ByzantineReport, error) {
	kind, byz := r.byzantineSet()
	if len(byz) == 0 {
		return nil, nil
	}
	j, err := faults.JudgeReplicas(runDir, r.correctReplicas(), time.Now(), r.o.Duration, nil)
	if err != nil {
		return nil, err
	}
	return &ByzantineReport{Kind: kind, Replicas: byz, LostAcknowledged: j.LostAcknowledged, Examples: j.Examples}, nil
}
