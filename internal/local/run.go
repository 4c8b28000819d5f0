package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/pompe-bft/pompe/internal/checker"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/loadgen"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/testnet"
	"github.com/pompe-bft/pompe/internal/transport"
)

// ErrInterrupted is returned, wrapping the context's error, when ctx was
// cancelled during the load (Ctrl-C): Run then also returns the partial
// report, with every record, execution log and resources.json kept and
// checked as after a full run.
var ErrInterrupted = errors.New("local: run interrupted")

// Run performs one local run. Replicas are stopped before Run returns,
// whatever happens. A cancelled ctx (Ctrl-C) before the load starts ends
// the run with ctx's error; during the load, it ends the load early and Run
// finishes the run on what was recorded, returning the report marked
// Interrupted and an error wrapping ErrInterrupted.
func Run(ctx context.Context, opts Options) (*Report, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	dir, keep := o.OutDir, true
	if dir == "" {
		if dir, err = os.MkdirTemp("", "pompe-local-"); err != nil {
			return nil, fmt.Errorf("local: %w", err)
		}
		keep = o.Keep
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	r := &runner{o: o, dir: dir}
	rep, err := r.run(ctx)
	if rep != nil && keep {
		rep.Dir = dir
	}
	return rep, err
}

type runner struct {
	o         Options
	dir       string
	ports     *testnet.Ports
	procs     []*replicaProcess
	emulators []*transport.LinkEmulator // per client; nil without WAN
	// onLoadStart, if set, runs as the measured load starts.
	onLoadStart func()
}

func (r *runner) status(format string, args ...any) {
	if r.o.Status != nil {
		fmt.Fprintf(r.o.Status, format+"\n", args...)
	}
}

func (r *runner) run(ctx context.Context) (rep *Report, err error) {
	tnDir := filepath.Join(r.dir, testnetDirName)
	runDir := filepath.Join(r.dir, runDirName)
	logsDir := filepath.Join(r.dir, logsDirName)
	for _, d := range []string{runDir, logsDir} {
		if err := mkdirEmpty(d); err != nil {
			return nil, err
		}
	}
	w, err := newWANSetup(r.o)
	if err != nil {
		return nil, err
	}
	r.emulators = w.emulators
	// Every port of the run comes from r.ports, held until its replica
	// starts (see testnet.Ports).
	if r.ports, err = testnet.NewPorts(); err != nil {
		return nil, err
	}
	defer r.ports.Close()
	fr, err := newFaultRun(r)
	if err != nil {
		return nil, err
	}
	ci, metricsAddrs, err := r.writeTestnet(tnDir, fr, w)
	if err != nil {
		return nil, err
	}
	keys, err := readClientKeys(ci)
	if err != nil {
		return nil, err
	}
	r.status("testnet of %d replicas (%s) in %s", r.o.Nodes, r.o.Mode, tnDir)

	defer r.stopAll() // also on every error path below
	for i, home := range ci.Homes {
		ri := ci.Genesis.Replicas[i]
		r.ports.Release(ri.PeerAddress, ri.ClientAddress, metricsAddrs[i])
		p, err := startReplica(i, r.o.Executable, r.replicaArgs(fr, i, home), r.o.replicaEnv(), filepath.Join(logsDir, replicaLogName(i)))
		if err != nil {
			return nil, err
		}
		r.procs = append(r.procs, p)
	}
	addrs := make([]string, len(ci.Genesis.Replicas))
	for i, ri := range ci.Genesis.Replicas {
		addrs[i] = ri.ClientAddress
	}
	if err := waitReady(ctx, r.procs, addrs, r.o.ReadyTimeout); err != nil {
		return nil, err
	}
	r.status("%d replicas ready; running %d clients for %v", r.o.Nodes, r.o.Clients, r.o.Duration)

	smp, err := r.newSampler(ci, metricsAddrs, fr)
	if err != nil {
		return nil, err
	}
	defer smp.finish() // runs before stopAll
	faultCtx, stopFaults := context.WithCancel(ctx)
	defer fr.wait() // runs before stopAll: every fault undone first
	defer stopFaults()
	hostile := &attackRun{}
	defer r.stopAttack(hostile)
	r.onLoadStart = func() {
		smp.begin()
		fr.start(faultCtx, ci.Homes, logsDir)
		r.startAttack(ci.Dir, hostile)
	}
	summary, loadErr := r.load(ctx, ci.Genesis, keys, runDir, logsDir)
	smp.finish()
	r.stopAttack(hostile)
	fr.wait()
	// An interrupted load (Ctrl-C) still has a summary of what ran until
	// then, and its records are complete up to that point: keep going, so
	// the replicas' execution logs and resources.json join the client
	// records and the partial run can be checked like any other.
	interrupted := loadErr != nil && ctx.Err() != nil && errors.Is(loadErr, ctx.Err())
	if loadErr != nil && (summary == nil || !interrupted) {
		return nil, loadErr
	}
	r.status("stopping replicas")
	replicaErrs := r.stopAll()

	rep = &Report{
		Mode: r.o.Mode, Nodes: r.o.Nodes, Clients: r.o.Clients, Batch: r.o.Batch,
		PayloadBytes: r.o.PayloadBytes, Inflight: r.o.Inflight, OrderingWindow: r.o.OrderingWindow,
		RatePerClient: r.o.RatePerClient, Interrupted: interrupted,
	}
	if interrupted {
		// Whatever fails below, the caller learns of the interruption.
		defer func() {
			if err == nil {
				err = fmt.Errorf("%w (%w)", ErrInterrupted, loadErr)
			}
		}()
	}
	rep.addLoad(*summary)
	rep.ResourceReport = smp.resourceReport(rep.Executed)
	if err := writeResourcesFile(runDir, rep.ResourceReport); err != nil {
		return rep, err
	}
	for _, e := range replicaErrs {
		rep.ReplicaErrors = append(rep.ReplicaErrors, e.Error())
	}
	if err := collectExecLogs(ci, runDir); err != nil {
		return rep, err
	}
	res, err := checker.Check(runDir, checker.Options{Correct: r.correctReplicas()})
	if err != nil {
		return rep, err
	}
	rep.addCheck(res)
	if rep.Byzantine, err = r.judgeByzantine(runDir); err != nil {
		return rep, err
	}
	if r.o.NoLoad { // no client records to measure fairness on
		return rep, nil
	}
	if rep.Fairness10ms, err = fairnessAt10ms(runDir); err != nil {
		return rep, err
	}
	if rep.FaultReport, err = fr.judge(runDir); err != nil {
		return rep, err
	}
	return rep, nil
}

// writeTestnet writes the run's testnet into tnDir with every address
// (peer, client, metrics or fault control) from r.ports, and returns it
// with each replica's metrics address.
func (r *runner) writeTestnet(tnDir string, fr *faultRun, w *wanSetup) (*testnet.ClusterInfo, []string, error) {
	metricsAddrs := make([]string, r.o.Nodes)
	var portErr error
	if err := testnet.Generate(testnet.Options{
		OutDir: tnDir, N: r.o.Nodes, Clients: r.o.Clients, Mode: r.o.Mode, DistinctIPs: true, FreePorts: true,
		Ports: r.ports, Regions: w.regions,
		OverrideReplica: withMetricsAddr(r.ports, metricsAddrs, &portErr, fr.override(w.override)),
	}); err != nil {
		return nil, nil, err
	}
	if portErr != nil {
		return nil, nil, portErr
	}
	ci, err := testnet.LoadClusterInfo(tnDir)
	if err != nil {
		return nil, nil, err
	}
	return ci, metricsAddrs, nil
}

// load runs the load generator with progress reports. Its client logs go
// to logs/clients.log.
func (r *runner) load(ctx context.Context, g config.Genesis, keys []crypto.PrivateKey, runDir, logsDir string) (*loadgen.Summary, error) {
	if r.o.NoLoad {
		return r.idle(ctx)
	}
	logFile, err := os.Create(filepath.Join(logsDir, "clients.log"))
	if err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	defer logFile.Close()
	gen, err := loadgen.New(ctx, loadgen.Options{
		Genesis: g, ClientKeys: keys, OutDir: runDir, Duration: r.o.Duration,
		Inflight: r.o.Inflight, OrderingWindow: r.o.OrderingWindow, RatePerClient: r.o.RatePerClient, BatchCommands: r.o.Batch,
		PayloadBytes: r.o.PayloadBytes, Emulators: r.emulators,
		Logger: slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		return nil, err
	}
	stop := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if r.o.Progress != nil {
			reportProgress(r.o.Progress, r.o.Interactive, r.o.Mode == config.ModePompe, r.o.ProgressEvery, r.o.Duration, gen.Progress, stop)
		}
	}()
	if r.onLoadStart != nil {
		r.onLoadStart()
	}
	s, err := gen.Run(ctx)
	close(stop)
	<-progressDone
	if ctx.Err() != nil {
		// The summary covers the window up to the interruption.
		return &s, ctx.Err()
	}
	return &s, err
}

// stopAll stops every started replica (once, all at the same time) and
// returns the failures.
func (r *runner) stopAll() []error {
	errs := make([]error, len(r.procs))
	var wg sync.WaitGroup
	for i, p := range r.procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.stop(r.o.StopGrace)
		}()
	}
	wg.Wait()
	r.procs = nil
	return slices.DeleteFunc(errs, func(err error) bool { return err == nil })
}

func readClientKeys(ci *testnet.ClusterInfo) ([]crypto.PrivateKey, error) {
	keys := make([]crypto.PrivateKey, len(ci.ClientKeyFiles))
	for k, path := range ci.ClientKeyFiles {
		var err error
		if keys[k], err = config.ReadKeyFile(path); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// collectExecLogs copies every replica's execution log next to the client
// records, where the checker reads them.
func collectExecLogs(ci *testnet.ClusterInfo, runDir string) error {
	for i, home := range ci.Homes {
		h, err := config.Load(home)
		if err != nil {
			return err
		}
		name := runlog.ExecLogName(i)
		if err := copyFile(filepath.Join(h.DataDir(), name), filepath.Join(runDir, name)); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("local: %w", err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return fmt.Errorf("local: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("local: copy %s: %w", from, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	return nil
}

// mkdirEmpty creates dir, refusing one that already holds files: a run
// must not mix its records with an earlier one's.
func mkdirEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	if err == nil && len(entries) > 0 {
		return fmt.Errorf("local: %s is not empty; choose a new output directory", dir)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("local: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	return nil
}

// attackRun is the --attack client of one run: `pompe attack` as a
// separate process at the lowest CPU priority, so that the attacker does
// not starve the load generator in this process (a real attacker brings
// its own machine).
type attackRun struct {
	once sync.Once
	cmd  *exec.Cmd
	out  bytes.Buffer
}

// startAttack starts the --attack process against every replica (once,
// however often the load start is signalled).
func (r *runner) startAttack(testnetDir string, a *attackRun) {
	if r.o.Attack == "" {
		return
	}
	a.once.Do(func() {
		r.status("attack %s against every replica", r.o.Attack)
		cmd := exec.Command(r.o.Executable, "attack", "--testnet", testnetDir, "--kind", r.o.Attack,
			"--dial-rate", strconv.Itoa(r.o.AttackDialRate))
		cmd.Stdout, cmd.Stderr = &a.out, &a.out
		cmd.SysProcAttr = replicaProcAttr()
		if err := cmd.Start(); err != nil {
			r.status("attack %s: %v", r.o.Attack, err)
			return
		}
		lowerPriority(cmd.Process.Pid)
		a.cmd = cmd
	})
}

// stopAttack ends the attack once the load is over and reports what it
// did.
func (r *runner) stopAttack(a *attackRun) {
	if a.cmd == nil {
		return
	}
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	_ = a.cmd.Wait()
	a.cmd = nil
	r.status("%s", strings.TrimSpace(a.out.String()))
}
