package cluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
)

// Replica states reported by Status.
const (
	StateRunning = "running"
	StateExited  = "exited" // a pid file whose process is gone
	StateStopped = "stopped"
	StateAbsent  = "not deployed"
)

// ReplicaStatus is what runs for one replica.
type ReplicaStatus struct {
	Host    string
	Replica int
	State   string
	PID     int
}

// statusScript prints "INDEX STATE PID" per replica.
func statusScript(replicas []int) string {
	var b strings.Builder
	for _, i := range replicas {
		fmt.Fprintf(&b, `if [ -f %[2]s ]; then p=$(cat %[2]s); if kill -0 "$p" 2>/dev/null; then echo "%[1]d running $p"; else echo "%[1]d exited $p"; fi; elif [ -d %[3]s ]; then echo "%[1]d stopped 0"; else echo "%[1]d absent 0"; fi
`, i, pidFile(i), nodeDir(i))
	}
	return b.String()
}

func (c *Cluster) replicaStates(ctx context.Context, cn *conn, m *machine) ([]ReplicaStatus, error) {
	if len(m.replicas) == 0 {
		return nil, nil
	}
	out, err := cn.run(ctx, "if "+cdRemote(m, false)+" 2>/dev/null; then\n"+statusScript(m.replicas)+"else\n"+absentScript(m.replicas)+"fi", nil)
	if err != nil {
		return nil, err
	}
	var st []ReplicaStatus
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		i, err1 := strconv.Atoi(f[0])
		pid, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			continue
		}
		state := map[string]string{"running": StateRunning, "exited": StateExited, "stopped": StateStopped, "absent": StateAbsent}[f[1]]
		st = append(st, ReplicaStatus{Host: m.Address, Replica: i, State: state, PID: pid})
	}
	if len(st) != len(m.replicas) {
		return nil, fmt.Errorf("status: unexpected answer %q", lastLines(string(out), 3))
	}
	return st, nil
}

func absentScript(replicas []int) string {
	var b strings.Builder
	for _, i := range replicas {
		fmt.Fprintf(&b, "echo \"%d absent 0\"\n", i)
	}
	return b.String()
}

// Status reports every replica's state, host by host. Hosts that cannot be
// asked are in the error; the others are still reported.
func (c *Cluster) Status(ctx context.Context) ([]ReplicaStatus, error) {
	var (
		mu  sync.Mutex
		all []ReplicaStatus
	)
	ms := c.replicaMachines()
	err := c.each(ctx, "status", ms, func(ctx context.Context, cn *conn, m *machine) (string, error) {
		st, err := c.replicaStates(ctx, cn, m)
		if err != nil {
			return "", err
		}
		mu.Lock()
		all = append(all, st...)
		mu.Unlock()
		return summarize(st), nil
	})
	sort.Slice(all, func(i, j int) bool { return all[i].Replica < all[j].Replica })
	return all, err
}

func summarize(st []ReplicaStatus) string {
	count := map[string]int{}
	for _, s := range st {
		count[s.State]++
	}
	var parts []string
	for _, k := range []string{StateRunning, StateExited, StateStopped, StateAbsent} {
		if count[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

// WriteStatus prints a status table: one line per replica.
func WriteStatus(w io.Writer, st []ReplicaStatus) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "replica\thost\tstate\tpid")
	for _, s := range st {
		pid := "-"
		if s.PID > 0 {
			pid = strconv.Itoa(s.PID)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Replica, s.Host, s.State, pid)
	}
	tw.Flush()
	fmt.Fprintf(w, "%s\n", summarize(st))
}

func (c *Cluster) replicaMachines() []*machine {
	var out []*machine
	for _, m := range c.inv.machines() {
		if len(m.replicas) > 0 {
			out = append(out, m)
		}
	}
	return out
}

// startScript starts each replica in a session of its own (setsid) that
// ignores the SSH session's hang-up (nohup), writes its pid file from
// inside, and then reports the states once the replicas had a second to
// fail.
func startScript(replicas []int) string {
	var b strings.Builder
	b.WriteString("mkdir -p " + remoteLogs + " " + remoteRun + "\n")
	b.WriteString("S=; command -v setsid >/dev/null 2>&1 && S=setsid\n")
	for _, i := range replicas {
		fmt.Fprintf(&b, `if [ -f %[2]s ] && kill -0 "$(cat %[2]s)" 2>/dev/null; then :; else
  $S nohup sh -c 'echo $$ > %[2]s; exec %[4]s node --home %[3]s' >> %[5]s 2>&1 < /dev/null &
fi
`, i, pidFile(i), nodeDir(i), remoteBinary, logFile(i))
	}
	b.WriteString("sleep 1\n")
	b.WriteString(statusScript(replicas))
	return b.String()
}

// Start starts every replica that is not running. When some fail, the
// error names them with the end of their logs, and the progress lists
// what does run, so no half-started cluster goes unnoticed.
func (c *Cluster) Start(ctx context.Context) error {
	var (
		mu      sync.Mutex
		running []string
	)
	err := c.each(ctx, "start", c.replicaMachines(), func(ctx context.Context, cn *conn, m *machine) (string, error) {
		out, err := cn.run(ctx, cdRemote(m, false)+" && {\n"+startScript(m.replicas)+"}", nil)
		if err != nil {
			return "", &HostError{Host: m.Address, Step: "start replicas", Err: err}
		}
		var up []int
		var failed []error
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Fields(line)
			if len(f) != 3 {
				continue
			}
			i, _ := strconv.Atoi(f[0])
			if f[1] == "running" {
				up = append(up, i)
				continue
			}
			tail, _ := cn.run(ctx, cdRemote(m, false)+" && tail -n 3 "+logFile(i), nil)
			failed = append(failed, fmt.Errorf("replica %d %s: %s", i, f[1], lastLines(strings.TrimSpace(string(tail)), 3)))
		}
		if len(up) > 0 {
			mu.Lock()
			running = append(running, fmt.Sprintf("%s: replicas %s", m.Address, joinInts(up)))
			mu.Unlock()
		}
		if len(failed) > 0 {
			return "", &HostError{Host: m.Address, Step: "start replicas", Err: errors.Join(failed...)}
		}
		return "replicas " + joinInts(up) + " running", nil
	})
	if err != nil {
		sort.Strings(running)
		if len(running) == 0 {
			return fmt.Errorf("%w\nno replica runs", err)
		}
		return fmt.Errorf("%w\nthe cluster is half started; running now: %s (stop them with `pompe cluster stop`)", err, strings.Join(running, "; "))
	}
	return nil
}

// stopScript sends SIGTERM to every running replica, waits up to grace,
// then SIGKILLs the rest and removes the pid files.
func stopScript(replicas []int, graceSeconds float64) string {
	var b strings.Builder
	b.WriteString("pids=\n")
	for _, i := range replicas {
		fmt.Fprintf(&b, `[ -f %[1]s ] && p=$(cat %[1]s) && kill -0 "$p" 2>/dev/null && pids="$pids $p"
`, pidFile(i))
	}
	ticks := int(math.Ceil(graceSeconds * 5))
	fmt.Fprintf(&b, `stopped=0
if [ -n "$pids" ]; then
  kill -TERM $pids 2>/dev/null
  n=0; alive=$pids
  while [ -n "$alive" ] && [ $n -lt %d ]; do sleep 0.2; n=$((n+1)); left=; for p in $alive; do kill -0 $p 2>/dev/null && left="$left $p"; done; alive=$left; done
  if [ -n "$alive" ]; then kill -KILL $alive 2>/dev/null; echo "killed$alive"; fi
  stopped=$(echo $pids | wc -w)
fi
echo "stopped $stopped"
`, ticks)
	for _, i := range replicas {
		fmt.Fprintf(&b, "rm -f %s\n", pidFile(i))
	}
	return b.String()
}

// Stop stops every replica (SIGTERM, then SIGKILL after stop_grace).
func (c *Cluster) Stop(ctx context.Context) error {
	return c.each(ctx, "stop", c.replicaMachines(), func(ctx context.Context, cn *conn, m *machine) (string, error) {
		out, err := cn.run(ctx, "if "+cdRemote(m, false)+" 2>/dev/null; then\n"+stopScript(m.replicas, c.inv.StopGrace.Std().Seconds())+"else echo 'stopped 0'; fi", nil)
		if err != nil {
			return "", &HostError{Host: m.Address, Step: "stop replicas", Err: err}
		}
		return strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "; "), nil
	})
}

// Clean stops the replicas and removes remote_dir on every host.
func (c *Cluster) Clean(ctx context.Context) error {
	if err := c.Stop(ctx); err != nil {
		return fmt.Errorf("%w\nnothing removed: replicas may still run", err)
	}
	return c.each(ctx, "clean", c.inv.machines(), func(ctx context.Context, cn *conn, m *machine) (string, error) {
		if _, err := cn.run(ctx, "rm -rf "+shellQuote(m.RemoteDir), nil); err != nil {
			return "", &HostError{Host: m.Address, Step: "remove " + m.RemoteDir, Err: err}
		}
		return "removed " + m.RemoteDir, nil
	})
}
