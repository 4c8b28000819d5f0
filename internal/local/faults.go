package local

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/faults"
)

// FaultReport is what a run with --faults adds to the report.
type FaultReport struct {
	Faults []faults.Applied `json:"faults"`
	faults.Judgement
}

func (f *FaultReport) ok() bool {
	if f == nil {
		return true
	}
	for _, a := range f.Faults {
		if a.Error != "" {
			return false
		}
	}
	return f.LostAcknowledged == 0 && len(f.Lagging) == 0
}

func (f *FaultReport) writeTable(w io.Writer) {
	if f == nil {
		return
	}
	fmt.Fprintf(w, "faults (seconds from the start of the load):\n")
	for _, a := range f.Faults {
		fmt.Fprintf(w, "  %-9s replicas %v  %6.2f .. %6.2f", a.Kind, a.Replicas, a.StartS, a.EndS)
		if a.ClockOffsetS != 0 {
			fmt.Fprintf(w, "  offset %+gs", a.ClockOffsetS)
		}
		if a.Detail != "" {
			fmt.Fprintf(w, "  (%s)", a.Detail)
		}
		if a.Error != "" {
			fmt.Fprintf(w, "  FAILED: %s", a.Error)
		}
		fmt.Fprintln(w)
	}
	recovered := "never"
	if f.RecoveryS >= 0 {
		recovered = fmt.Sprintf("%.1f s", f.RecoveryS)
	}
	fmt.Fprintf(w, "lost acknowledged %d   lagging replicas %v   pre-fault %.0f cmd/s   back to %.0f%% after %s\n",
		f.LostAcknowledged, f.Lagging, f.PreFaultPerS, 100*faults.RecoveryFraction, recovered)
	for _, ex := range f.Examples {
		fmt.Fprintf(w, "  lost: %s\n", ex)
	}
}

// faultRun runs a fault schedule against the runner's replicas; it is
// the faults.Cluster of the run.
type faultRun struct {
	r        *runner
	sched    faults.Schedule
	control  []string // per replica: metrics and fault-control address
	homes    []string
	logsDir  string
	mu       sync.Mutex // guards r.procs entries while faults run
	started  time.Time
	done     chan struct{}
	applied  []faults.Applied
	restarts []int
}

// newFaultRun loads o.Faults; nil when no faults were asked for.
func newFaultRun(r *runner) (*faultRun, error) {
	if r.o.Faults == "" {
		return nil, nil
	}
	s, err := faults.Load(r.o.Faults, r.o.Nodes, r.o.Duration)
	if err != nil {
		return nil, err
	}
	fr := &faultRun{r: r, sched: s, restarts: make([]int, r.o.Nodes)}
	for i := range r.o.Nodes {
		addr, err := r.ports.Take("127.0.0.1")
		if err != nil {
			return nil, fmt.Errorf("local: fault-control address of replica %d: %w", i, err)
		}
		fr.control = append(fr.control, addr)
	}
	return fr, nil
}

// override adds the metrics (fault-control) address to each replica's
// config, then applies next.
func (f *faultRun) override(next func(int, *config.Config)) func(int, *config.Config) {
	if f == nil {
		return next
	}
	return func(i int, c *config.Config) {
		c.Metrics.Listen = f.control[i]
		if next != nil {
			next(i, c)
		}
	}
}

// nodeArgs is the command line of a replica.
func (f *faultRun) nodeArgs(home string) []string {
	args := []string{"node", "--home", home}
	if f != nil {
		args = append(args, "--fault-control")
	}
	return args
}

// start runs the schedule from now, the start of the load.
func (f *faultRun) start(ctx context.Context, homes []string, logsDir string) {
	if f == nil {
		return
	}
	f.homes, f.logsDir = homes, logsDir
	f.started = time.Now()
	f.done = make(chan struct{})
	go func() {
		defer close(f.done)
		f.applied = faults.Run(ctx, f.sched, f, f.started)
	}()
}

// wait returns once every fault was undone.
func (f *faultRun) wait() {
	if f != nil && f.done != nil {
		<-f.done
	}
}

// judge reads the run's records after the replicas stopped.
func (f *faultRun) judge(runDir string) (*FaultReport, error) {
	if f == nil {
		return nil, nil
	}
	j, err := faults.Judge(runDir, f.r.o.Nodes, f.started, f.r.o.Duration, f.applied)
	if err != nil {
		return nil, err
	}
	return &FaultReport{Faults: f.applied, Judgement: j}, nil
}

func (f *faultRun) proc(i int) *replicaProcess {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.r.procs[i]
}

// The faults.Cluster methods.

func (f *faultRun) N() int                       { return len(f.control) }
func (f *faultRun) ControlAddr(i int) string     { return f.control[i] }
func (f *faultRun) Exited(i int) <-chan struct{} { return f.proc(i).exited }
func (f *faultRun) Pause(i int) error            { return freezeGroup(f.proc(i).cmd.Process.Pid, true) }
func (f *faultRun) Resume(i int) error           { return freezeGroup(f.proc(i).cmd.Process.Pid, false) }
func (f *faultRun) signalKill(p *replicaProcess) error {
	return signalGroup(p.cmd.Process.Pid, sigKill)
}

func (f *faultRun) Kill(i int) error {
	p := f.proc(i)
	if err := f.signalKill(p); err != nil {
		return err
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(f.r.o.StopGrace):
		return fmt.Errorf("local: replica %d still running %v after SIGKILL", i, f.r.o.StopGrace)
	}
}

// Restart starts replica i again; its output goes to a new log file
// (nodeN.log.1, .2, ...) next to the first.
func (f *faultRun) Restart(i int) error {
	old := f.proc(i)
	if !old.hasExited() {
		return fmt.Errorf("local: replica %d is still running; not restarting it", i)
	}
	f.mu.Lock()
	f.restarts[i]++
	n := f.restarts[i]
	f.mu.Unlock()
	logPath := filepath.Join(f.logsDir, fmt.Sprintf("%s.%d", replicaLogName(i), n))
	p, err := startReplica(i, f.r.o.Executable, f.r.replicaArgs(f, i, f.homes[i]), f.r.o.replicaEnv(), logPath)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.r.procs[i] = p
	f.mu.Unlock()
	return nil
}

var _ faults.Cluster = (*faultRun)(nil)
