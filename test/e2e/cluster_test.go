//go:build linux

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// Generous bounds that only keep a broken cluster from hanging a test.
const (
	readyTimeout = 30 * time.Second
	stopGrace    = 10 * time.Second
	waitTimeout  = 60 * time.Second
	pollInterval = 50 * time.Millisecond
)

// replicaCount is the size of every test cluster (f = 1).
const replicaCount = 4

// cluster is a testnet whose replicas run as `pompe node` processes.
type cluster struct {
	t       *testing.T
	dir     string
	mode    config.Mode
	info    *testnet.ClusterInfo
	logDir  string
	runDir  string       // client records, and the execution logs once stopped
	clients atomic.Int32 // client record files made so far
	metrics []string     // metrics address of replica i

	mu    sync.Mutex
	procs []*replicaProc // nil while replica i is not running
}

// replicaProc is one started replica process.
type replicaProc struct {
	index  int
	cmd    *exec.Cmd
	exited chan struct{} // closed once waited for
	err    error         // the exit status, set before exited closes
}

func (p *replicaProc) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// newCluster generates a loopback testnet (distinct 127.0.0.x addresses,
// free ports, a metrics listener per replica) and registers a cleanup that
// kills every replica still running. edit, if set, changes every replica's
// config.
func newCluster(t *testing.T, mode config.Mode, edit func(*config.Config)) *cluster {
	t.Helper()
	requireBinary(t)
	dir, err := os.MkdirTemp(workRoot, "cluster-")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, dir: dir, mode: mode, logDir: filepath.Join(dir, "logs"), runDir: filepath.Join(dir, "run"),
		procs: make([]*replicaProc, replicaCount)}
	for _, d := range []string{c.logDir, c.runDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range replicaCount {
		c.metrics = append(c.metrics, freeAddr(t, replicaIP(i)))
	}
	tn := filepath.Join(dir, "testnet")
	err = testnet.Generate(testnet.Options{
		OutDir: tn, N: replicaCount, Mode: mode, DistinctIPs: true, FreePorts: true,
		Override: func(cfg *config.Config) {
			cfg.P2P.DialBackoffMin = config.Duration(50 * time.Millisecond)
			cfg.P2P.DialBackoffMax = config.Duration(time.Second)
			if edit != nil {
				edit(cfg)
			}
		},
		OverrideReplica: func(i int, cfg *config.Config) { cfg.Metrics.Listen = c.metrics[i] },
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.info, err = testnet.LoadClusterInfo(tn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.killAll)
	return c
}

func replicaIP(i int) string { return "127.0.0." + strconv.Itoa(i+1) }

// freeAddr returns an address on ip whose port the system just reported
// free.
func freeAddr(t *testing.T, ip string) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (c *cluster) home(i int) string       { return c.info.Homes[i] }
func (c *cluster) clientAddr(i int) string { return c.info.Genesis.Replicas[i].ClientAddress }
func (c *cluster) peerAddr(i int) string   { return c.info.Genesis.Replicas[i].PeerAddress }
func (c *cluster) logPath(i int) string {
	return filepath.Join(c.logDir, testnet.NodeDirName(i)+".log")
}

// execLogPath is replica i's execution log in its home.
func (c *cluster) execLogPath(i int) string {
	return filepath.Join(c.home(i), "data", runlog.ExecLogName(i))
}

// startAll starts every replica and waits until each serves clients.
func (c *cluster) startAll() {
	c.t.Helper()
	for i := range replicaCount {
		c.launch(i)
	}
	for i := range replicaCount {
		c.waitReady(i)
	}
}

// start starts replica i (with the home it had) and waits until it serves
// clients.
func (c *cluster) start(i int) {
	c.t.Helper()
	c.launch(i)
	c.waitReady(i)
}

// launch runs replica i in a process group of its own, appending its
// output to its log (restarts included), with the kernel killing it should
// the test process die.
func (c *cluster) launch(i int) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.procs[i] != nil {
		c.t.Fatalf("replica %d is already running", i)
	}
	logFile, err := os.OpenFile(c.logPath(i), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	fmt.Fprintf(logFile, "=== e2e: starting replica %d at %s\n", i, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(pompeBin, "node", "--home", c.home(i))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		c.t.Fatalf("start replica %d: %v", i, err)
	}
	p := &replicaProc{index: i, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	c.procs[i] = p
}

func (c *cluster) proc(i int) *replicaProc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[i]
}

// waitReady waits until replica i accepts TCP connections on its client
// port, failing if it exits first.
func (c *cluster) waitReady(i int) {
	c.t.Helper()
	p := c.proc(i)
	deadline := time.Now().Add(readyTimeout)
	for {
		if p.hasExited() {
			c.t.Fatalf("replica %d exited during start-up: %v\n%s", i, p.err, c.logTail(i))
		}
		conn, err := net.DialTimeout("tcp", c.clientAddr(i), time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("replica %d does not accept client connections after %v: %v", i, readyTimeout, err)
		}
		time.Sleep(pollInterval)
	}
}

// kill sends SIGKILL to replica i's process group and waits for it.
func (c *cluster) kill(i int) {
	c.t.Helper()
	c.mu.Lock()
	p := c.procs[i]
	c.procs[i] = nil
	c.mu.Unlock()
	if p == nil {
		c.t.Fatalf("replica %d is not running", i)
	}
	if p.hasExited() {
		c.t.Fatalf("replica %d had exited before it was killed: %v\n%s", i, p.err, c.logTail(i))
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
}

// stop sends SIGTERM to replica i's group, kills it after stopGrace, and
// returns an error unless it exited cleanly.
func (c *cluster) stop(i int) error {
	c.mu.Lock()
	p := c.procs[i]
	c.procs[i] = nil
	c.mu.Unlock()
	if p == nil {
		return nil
	}
	pid := p.cmd.Process.Pid
	if p.hasExited() {
		syscall.Kill(-pid, syscall.SIGKILL) // anything it left in its group
		return fmt.Errorf("replica %d had exited on its own: %v\n%s", i, p.err, c.logTail(i))
	}
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.exited
		return fmt.Errorf("replica %d ignored SIGTERM for %v and was killed", i, stopGrace)
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	if p.err != nil {
		return fmt.Errorf("replica %d exited with %v after SIGTERM\n%s", i, p.err, c.logTail(i))
	}
	return nil
}

// stopAll stops every running replica at once and fails the test for each
// that did not exit cleanly.
func (c *cluster) stopAll() {
	c.t.Helper()
	errs := make([]error, replicaCount)
	var wg sync.WaitGroup
	for i := range replicaCount {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.stop(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			c.t.Error(err)
		}
	}
}

// killAll is the cleanup: SIGKILL to every group still running.
func (c *cluster) killAll() {
	c.mu.Lock()
	procs := c.procs
	c.procs = make([]*replicaProc, replicaCount)
	c.mu.Unlock()
	for _, p := range procs {
		if p != nil {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
		}
	}
	if c.t.Failed() {
		c.t.Logf("replica logs kept in %s", c.logDir)
	}
}

// requireAlive fails the test unless replica i is still running.
func (c *cluster) requireAlive(i int) {
	c.t.Helper()
	p := c.proc(i)
	if p == nil {
		c.t.Fatalf("replica %d is not running", i)
	}
	if p.hasExited() {
		c.t.Fatalf("replica %d died: %v\n%s", i, p.err, c.logTail(i))
	}
}

// requireRunningAlive checks every replica the test has running.
func (c *cluster) requireRunningAlive() {
	c.t.Helper()
	for i := range replicaCount {
		if c.proc(i) != nil {
			c.requireAlive(i)
		}
	}
}

// logTail is the end of replica i's log, for failure messages.
func (c *cluster) logTail(i int) string {
	data, _ := os.ReadFile(c.logPath(i))
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return fmt.Sprintf("--- end of replica %d's log:\n%s", i, strings.Join(lines, "\n"))
}

// requireCleanLogs fails the test if any replica log shows a crash or a
// detected safety violation.
func (c *cluster) requireCleanLogs() {
	c.t.Helper()
	for i := range replicaCount {
		data, err := os.ReadFile(c.logPath(i))
		if err != nil {
			c.t.Error(err)
			continue
		}
		for _, bad := range []string{"panic:", "fatal error:", "safety violation", "DATA RACE"} {
			if at := strings.Index(string(data), bad); at >= 0 {
				end := min(len(data), at+2000)
				c.t.Errorf("replica %d's log shows %q:\n%s", i, bad, data[at:end])
			}
		}
	}
}

// metricsClient keeps no idle connections: nothing of it outlives a scrape.
var metricsClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// metric reads one of replica i's pompe_* gauges or counters.
func (c *cluster) metric(i int, name string) (float64, error) {
	return c.metricMatching(i, name, func(line string) bool {
		return strings.HasPrefix(line, name+"{") || strings.HasPrefix(line, name+" ")
	})
}

// metricSeries reads the one series of replica i's metrics written
// exactly as series (name and labels).
func (c *cluster) metricSeries(i int, series string) (float64, error) {
	return c.metricMatching(i, series, func(line string) bool { return strings.HasPrefix(line, series+" ") })
}

func (c *cluster) metricMatching(i int, name string, match func(line string) bool) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.metrics[i]+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := metricsClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !match(line) {
			continue
		}
		fields := strings.Fields(line)
		return strconv.ParseFloat(fields[len(fields)-1], 64)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("replica %d exports no %s", i, name)
}

// view is replica i's current view, from its metrics.
func (c *cluster) view(i int) (uint64, error) {
	v, err := c.metric(i, "pompe_view")
	return uint64(v), err
}

// committedHeight is replica i's committed height, from its metrics.
func (c *cluster) committedHeight(i int) (uint64, error) {
	v, err := c.metric(i, "pompe_committed_height")
	return uint64(v), err
}

// leader is the leader of replica i's current view as replica i computes
// it (leaders depend on the chain under the reputation policy), from its
// metrics.
func (c *cluster) leader(i int) (int, error) {
	v, err := c.metric(i, "pompe_leader")
	return int(v), err
}

// eventually polls cond until it holds, failing the test after waitTimeout.
// Between polls it checks that every running replica is alive.
func (c *cluster) eventually(what string, cond func() bool) {
	c.t.Helper()
	c.eventuallyf(func() string { return what }, cond)
}

// eventuallyf is eventually with a description made at the time of failure.
func (c *cluster) eventuallyf(what func() string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		c.requireRunningAlive()
		if time.Now().After(deadline) {
			c.t.Fatalf("after %v: %s never happened", waitTimeout, what())
		}
		time.Sleep(pollInterval)
	}
}
