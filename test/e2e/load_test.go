//go:build linux

package e2e

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/checker"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/pkg/app/kvstore"
	"github.com/pompe-bft/pompe/pkg/client"
)

// Shape of the background load: a few clients, each with a few commands
// outstanding at once.
const (
	loadClients          = 3
	loadWorkersPerClient = 4
	loadBatchCommands    = 4
)

// recordedClient is a client whose run records go to the cluster's run
// directory, where the checker reads them.
type recordedClient struct {
	*client.Client
	records *runlog.ClientRecordWriter
}

// Close closes the client, then its records.
func (rc *recordedClient) Close() error {
	return errors.Join(rc.Client.Close(), rc.records.Close())
}

// newClient connects a client with a fresh identity to c.
func newClient(t *testing.T, c *cluster) *recordedClient {
	t.Helper()
	key, err := crypto.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := client.FromGenesis(&c.info.Genesis, key)
	if err != nil {
		t.Fatal(err)
	}
	records, err := runlog.CreateClientRecords(filepath.Join(c.runDir, runlog.ClientRecordsName(int(c.clients.Add(1)))))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Inflight = loadWorkersPerClient
	cfg.BatchMaxCommands = loadBatchCommands
	cfg.BatchMaxDelay = time.Millisecond
	cfg.Records = records
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cl, err := client.New(ctx, cfg)
	if err != nil {
		records.Close()
		t.Fatalf("%v (%s)", err, c.state())
	}
	return &recordedClient{Client: cl, records: records}
}

// execute runs n fresh puts through a new client and fails the test unless
// each completes: the cluster still executes new commands.
func execute(t *testing.T, c *cluster, n int) {
	t.Helper()
	cl := newClient(t, c)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for k := range n {
		out, err := cl.Do(ctx, kvstore.EncodePut([]byte(fmt.Sprintf("probe-%s-%d", cl.ID().String()[:8], k)), []byte("v")))
		if err != nil {
			c.requireRunningAlive()
			t.Fatalf("command %d of a fresh client did not execute: %v (%s)", k, err, c.state())
		}
		if out.Height == 0 {
			t.Fatalf("command %d executed at height 0: %+v", k, out)
		}
	}
}

// load keeps clients busy with puts until stopped, recording every command
// for the checker.
type load struct {
	t        *testing.T
	cancel   context.CancelFunc
	clients  []*recordedClient
	wg       sync.WaitGroup
	executed atomic.Int64
	failure  atomic.Pointer[error]
	stopOnce sync.Once
}

// startLoad starts loadClients clients.
func startLoad(t *testing.T, c *cluster) *load {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{t: t, cancel: cancel}
	t.Cleanup(l.stop)
	for k := range loadClients {
		cl := newClient(t, c)
		l.clients = append(l.clients, cl)
		for wk := range loadWorkersPerClient {
			l.wg.Add(1)
			go l.work(ctx, cl, k, wk)
		}
	}
	return l
}

func (l *load) work(ctx context.Context, cl *recordedClient, k, worker int) {
	defer l.wg.Done()
	value := make([]byte, 32)
	for n := 0; ctx.Err() == nil; n++ {
		key := fmt.Appendf(nil, "c%d-w%d-%d", k, worker, n)
		_, err := cl.Do(ctx, kvstore.EncodePut(key, value))
		switch {
		case err == nil:
			l.executed.Add(1)
		case ctx.Err() != nil || errors.Is(err, client.ErrClosed):
			return
		default:
			l.failure.CompareAndSwap(nil, &err)
			return
		}
	}
}

// count is the number of commands executed so far.
func (l *load) count() int64 { return l.executed.Load() }

// waitProgress waits until n more commands executed.
func (l *load) waitProgress(c *cluster, n int64, what string) {
	l.t.Helper()
	target := l.count() + n
	c.eventuallyf(func() string {
		return fmt.Sprintf("%s: %d more commands executed (at %d; %s)", what, n, l.count(), c.state())
	}, func() bool {
		l.requireNoFailure()
		return l.count() >= target
	})
}

func (l *load) requireNoFailure() {
	l.t.Helper()
	if p := l.failure.Load(); p != nil {
		l.t.Fatalf("load client failed: %v", *p)
	}
}

// stop ends the load: pending commands complete as closed, records are
// flushed and closed.
func (l *load) stop() {
	l.stopOnce.Do(func() {
		l.cancel()
		for _, cl := range l.clients {
			if err := cl.Close(); err != nil {
				l.t.Error(err)
			}
		}
		l.wg.Wait()
	})
}

// waitCaughtUp waits until every replica has executed all it committed
// and the committed heights are at most one block apart: in an idle
// cluster the newest block may be committed by its proposer alone until
// new work arrives. A replica logs what it executes through a buffer that
// is flushed when it stops, so the execution logs themselves are compared
// once the replicas are stopped.
func (c *cluster) waitCaughtUp() {
	c.t.Helper()
	var committed, executed []int64
	c.eventuallyf(func() string {
		return fmt.Sprintf("every replica executes the same committed height (now committed %v, executed %v)", committed, executed)
	}, func() bool {
		committed, executed = c.committedHeights(), c.executedHeights()
		top := slices.Max(committed)
		for i := range committed {
			if executed[i] != committed[i] || committed[i] < top-1 || committed[i] <= 0 {
				return false
			}
		}
		return true
	})
	c.t.Logf("replicas executed heights %v", executed)
}

// executedHeights are the running replicas' executed heights (-1: not
// known): the height a replica's execution snapshot covered when it
// started, plus the blocks it executed since.
func (c *cluster) executedHeights() []int64 {
	hs := make([]int64, replicaCount)
	for i := range hs {
		hs[i] = -1
		if c.proc(i) == nil {
			continue
		}
		blocks, err := c.metric(i, "pompe_committed_blocks_total")
		if err != nil {
			continue
		}
		if start, ok := c.startExecutedHeight(i); ok {
			hs[i] = start + int64(blocks)
		}
	}
	return hs
}

// startExecutedHeight reads the executed height replica i reported when
// it last started ("replica started ... executed=N" in its log).
func (c *cluster) startExecutedHeight(i int) (int64, bool) {
	data, err := os.ReadFile(c.logPath(i))
	if err != nil {
		return 0, false
	}
	at := strings.LastIndex(string(data), `msg="replica started"`)
	if at < 0 {
		return 0, false
	}
	line, _, _ := strings.Cut(string(data[at:]), "\n")
	for _, field := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(field, "executed="); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// checkRun copies the replicas' execution logs next to the client records
// in the run directory and runs the checker: no consistency violation, no ordering
// violation (Pompe), every log complete.
func (c *cluster) checkRun() checker.Result {
	runDir := c.runDir
	c.t.Helper()
	for i := range replicaCount {
		if err := copyFile(c.execLogPath(i), filepath.Join(runDir, runlog.ExecLogName(i))); err != nil {
			c.t.Fatal(err)
		}
	}
	correct := c.logsWithoutLostEntries()
	res, err := checker.Check(runDir, checker.Options{Correct: correct})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Logf("checker: %d commands, %d records, %d timed, logs %+v, %d consistency and %d ordering violations",
		res.Commands, res.ClientRecords, res.TimedCommands, res.Logs, res.ConsistencyViolations, res.OrderingViolations)
	if res.ConsistencyViolations != 0 || res.OrderingViolations != 0 {
		c.t.Errorf("checker found violations: %+v", res.Examples)
	}
	c.requireCompleteLogs(correct)
	if res.Commands == 0 {
		c.t.Error("nothing executed")
	}
	if res.RecordsNotInLog != 0 || res.ExecutedWithoutRecord != 0 {
		c.t.Errorf("%d records of executed commands are not in the logs; %d logged commands have no record",
			res.RecordsNotInLog, res.ExecutedWithoutRecord)
	}
	if c.mode == config.ModePompe && res.TimedCommands == 0 {
		c.t.Error("no command with timestamps: the ordering check covered nothing")
	}
	if len(correct) < replicaCount {
		knownBug(c.t, "a replica killed with SIGKILL loses execution log entries for good (see logsWithoutLostEntries)")
	}
	return res
}

// requireCompleteLogs fails the test unless the execution log of each
// replica of check holds the longest log, but for the commands of its last
// block (committed by its proposer alone in an idle cluster).
func (c *cluster) requireCompleteLogs(check []int) {
	c.t.Helper()
	logs := make([][]runlog.ExecEntry, replicaCount)
	longest := 0
	for i := range replicaCount {
		logs[i] = readExecLog(c.t, filepath.Join(c.runDir, runlog.ExecLogName(i)))
		if len(logs[i]) > len(logs[longest]) {
			longest = i
		}
	}
	ref := logs[longest]
	if len(ref) == 0 {
		return
	}
	last := ref[len(ref)-1].Height
	for i, l := range logs {
		if slices.Contains(check, i) && len(l) < len(ref) && ref[len(l)].Height != last {
			c.t.Errorf("replica %d's execution log holds %d entries, replica %d's %d: it lacks height %d and more",
				i, len(l), longest, len(ref), ref[len(l)].Height)
		}
	}
}

// logsWithoutLostEntries lists the replicas whose execution log in the run
// directory is not the longest log with a stretch of entries cut out, and
// reports each such cut.
//
// Known bug: a replica buffers its execution log (internal/runlog, 256 KiB)
// and flushes it only when it stops, while it persists an execution
// snapshot every 200 blocks. Killed with SIGKILL, it loses the buffered
// entries; restarted, it replays only the blocks above its snapshot, so
// the entries below the snapshot that were still in the buffer never
// reach the log.
func (c *cluster) logsWithoutLostEntries() []int {
	c.t.Helper()
	logs := make([][]runlog.ExecEntry, replicaCount)
	longest := 0
	for i := range replicaCount {
		logs[i] = readExecLog(c.t, filepath.Join(c.runDir, runlog.ExecLogName(i)))
		if len(logs[i]) > len(logs[longest]) {
			longest = i
		}
	}
	ref := logs[longest]
	var whole []int
	for i, l := range logs {
		if len(l) < len(ref) {
			prefix := 0
			for prefix < len(l) && l[prefix] == ref[prefix] {
				prefix++
			}
			// Entries the replica did log after the cut: a log that merely
			// ends early is no such loss.
			cut := len(ref) - len(l)
			if prefix < len(l) && slices.Equal(l[prefix:], ref[prefix+cut:]) {
				c.t.Logf("replica %d's execution log lacks entries %d..%d (heights %d..%d) of replica %d's",
					i, prefix, prefix+cut-1, ref[prefix].Height, ref[prefix+cut-1].Height, longest)
				continue
			}
		}
		whole = append(whole, i)
	}
	return whole
}

func readExecLog(t *testing.T, path string) []runlog.ExecEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := runlog.NewExecReader(f)
	var out []runlog.ExecEntry
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) || errors.Is(err, runlog.ErrTruncated) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, e)
	}
}

// knownBug skips t, after its other checks ran, for a known bug, unless
// POMPE_E2E_BUGS=1 asks to fail instead (to check a fix).
func knownBug(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("POMPE_E2E_BUGS") == "" {
		t.Skip("BUG: " + what)
	}
	t.Error("BUG: " + what)
}

// state describes the running replicas' views and committed heights, for
// failure messages.
func (c *cluster) state() string {
	var b strings.Builder
	for i := range replicaCount {
		if c.proc(i) == nil {
			fmt.Fprintf(&b, "replica %d down; ", i)
			continue
		}
		v, errV := c.view(i)
		h, errH := c.committedHeight(i)
		if err := errors.Join(errV, errH); err != nil {
			fmt.Fprintf(&b, "replica %d: %v; ", i, err)
			continue
		}
		fmt.Fprintf(&b, "replica %d: view %d, committed %d; ", i, v, h)
	}
	return strings.TrimSuffix(b.String(), "; ")
}

// committedHeights are the running replicas' committed heights (-1: not
// known), for failure messages.
func (c *cluster) committedHeights() []int64 {
	hs := make([]int64, replicaCount)
	for i := range hs {
		hs[i] = -1
		if h, err := c.committedHeight(i); err == nil && c.proc(i) != nil {
			hs[i] = int64(h)
		}
	}
	return hs
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
