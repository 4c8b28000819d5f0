//go:build linux

package attack

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/testnet"
	"github.com/pompe-bft/pompe/pkg/app/kvstore"
	"github.com/pompe-bft/pompe/pkg/client"
)

// Limits every replica runs under (see doc.go).
// rssBound is what the test asserts, per replica. The target of the
// resource review is 512 MiB; the bound is tighter so that it pins the
// defences: without them, stalled frames and empty repeated entries took
// replicas to 190-430 MiB at this test's scale, with them under 80 MiB.
const rssBound = 160 << 20

const (
	replicaCount    = 4
	goMemLimit      = "256MiB"
	addressSpace    = 4 << 30 // RLIMIT_AS, bytes
	readyTimeout    = 30 * time.Second
	putTimeout      = 20 * time.Second // generous: only keeps a broken run from hanging
	rssSamplePeriod = 100 * time.Millisecond
)

// cluster is a 4-replica loopback testnet of `pompe node` processes.
type cluster struct {
	t    *testing.T
	dir  string
	info *testnet.ClusterInfo

	mu    sync.Mutex
	procs []*proc
	peak  []int64 // highest VmRSS seen per replica, bytes
}

type proc struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error
}

func (p *proc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	requireBinary(t)
	dir, err := os.MkdirTemp(workRoot, "cluster-")
	if err != nil {
		t.Fatal(err)
	}
	err = testnet.Generate(testnet.Options{
		OutDir: filepath.Join(dir, "testnet"), N: replicaCount, Mode: config.ModePompe, DistinctIPs: true, FreePorts: true,
		Override: func(cfg *config.Config) {
			cfg.P2P.DialBackoffMin = config.Duration(50 * time.Millisecond)
			cfg.P2P.DialBackoffMax = config.Duration(500 * time.Millisecond)
			// A quarter of the default, so that filling it takes a quarter
			// of the connections.
			cfg.P2P.MaxClients = 1024
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, dir: dir, procs: make([]*proc, replicaCount), peak: make([]int64, replicaCount)}
	if c.info, err = testnet.LoadClusterInfo(filepath.Join(dir, "testnet")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.killAll)
	for i := range replicaCount {
		c.launch(i)
	}
	for i := range replicaCount {
		c.waitReady(i)
	}
	return c
}

// launch starts replica i under the memory limits, logging to its file.
func (c *cluster) launch(i int) {
	c.t.Helper()
	logFile, err := os.OpenFile(filepath.Join(c.dir, fmt.Sprintf("replica%d.log", i)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	args := []string{"node", "--home", c.info.Homes[i]}
	var cmd *exec.Cmd
	if prlimit, err := exec.LookPath("prlimit"); err == nil {
		cmd = exec.Command(prlimit, append([]string{fmt.Sprintf("--as=%d", addressSpace), "--", pompeBin}, args...)...)
	} else {
		cmd = exec.Command("/bin/sh", "-c", fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, addressSpace>>10), pompeBin)
		cmd.Args = append(cmd.Args, args...)
	}
	cmd.Env = append(os.Environ(), "GOMEMLIMIT="+goMemLimit)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		c.t.Fatal(err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	c.mu.Lock()
	c.procs[i] = p
	c.mu.Unlock()
}

func (c *cluster) proc(i int) *proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[i]
}

func (c *cluster) waitReady(i int) {
	c.t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for {
		if !c.proc(i).alive() {
			c.t.Fatalf("replica %d exited during start-up: %v\n%s", i, c.proc(i).err, c.logTail(i))
		}
		conn, err := net.DialTimeout("tcp", c.info.Genesis.Replicas[i].ClientAddress, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("replica %d not ready after %v", i, readyTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// restart kills replica i and starts it again on its home.
func (c *cluster) restart(i int) {
	c.t.Helper()
	p := c.proc(i)
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
	c.launch(i)
	c.waitReady(i)
}

func (c *cluster) killAll() {
	c.mu.Lock()
	procs := append([]*proc(nil), c.procs...)
	c.mu.Unlock()
	for _, p := range procs {
		if p != nil {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
		}
	}
}

// requireAlive fails the test for every replica that died.
func (c *cluster) requireAlive() {
	c.t.Helper()
	for i := range replicaCount {
		if p := c.proc(i); !p.alive() {
			c.t.Errorf("replica %d died: %v\n%s", i, p.err, c.logTail(i))
		}
	}
}

func (c *cluster) logTail(i int) string {
	data, _ := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("replica%d.log", i)))
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 12 {
		lines = lines[len(lines)-12:]
	}
	return strings.Join(lines, "\n")
}

// vmRSS reads a process's resident set size in bytes.
func vmRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}

// sampleRSS records each replica's peak VmRSS until ctx ends.
func (c *cluster) sampleRSS(ctx context.Context) {
	tick := time.NewTicker(rssSamplePeriod)
	defer tick.Stop()
	for {
		for i := range replicaCount {
			p := c.proc(i)
			if p == nil || !p.alive() {
				continue
			}
			if rss, err := vmRSS(p.cmd.Process.Pid); err == nil {
				c.mu.Lock()
				c.peak[i] = max(c.peak[i], rss)
				c.mu.Unlock()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (c *cluster) peaks() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int64(nil), c.peak...)
}

// newClient connects a correct client with a fresh key.
func (c *cluster) newClient() *client.Client {
	c.t.Helper()
	cl, err := c.tryClient()
	if err != nil {
		c.t.Fatal(err)
	}
	return cl
}

// tryClient connects a correct client with a fresh key, or says why it
// could not within readyTimeout.
func (c *cluster) tryClient() (*client.Client, error) {
	key, err := crypto.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	cfg, err := client.FromGenesis(&c.info.Genesis, key)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	cl, err := client.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c.t.Cleanup(func() { cl.Close() })
	return cl, nil
}

// put runs one put and reports whether it executed.
func put(cl *client.Client, key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), putTimeout)
	defer cancel()
	_, err := cl.Do(ctx, kvstore.EncodePut([]byte(key), []byte("v")))
	return err
}
