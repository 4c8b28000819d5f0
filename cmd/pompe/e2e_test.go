//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// e2eTimeout bounds every command the end-to-end tests run; it only keeps
// a broken build from hanging.
const e2eTimeout = 2 * time.Minute

// TestEndToEnd builds the binary once and drives it as users do.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "pompe")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	e := &e2e{bin: bin, dir: dir}
	t.Run("local", e.local)
	t.Run("local interrupted", e.localInterrupted)
	t.Run("sim json", e.simJSON)
	t.Run("node with corrupt config", e.nodeCorruptConfig)
	t.Run("client against a running testnet", e.client)
	t.Run("a store belongs to one replica", e.storeOwner)
	if left := processesMentioning(dir); len(left) > 0 {
		t.Errorf("processes left behind: %v", left)
	}
}

type e2e struct{ bin, dir string }

func (e *e2e) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// exec runs the binary and returns its exit code and output.
func (e *e2e) exec(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := e.command(ctx, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	default:
		t.Fatalf("pompe %v: %v", args, err)
	}
	return code, out.String(), errOut.String()
}

// processesMentioning lists running processes whose command line contains
// s (the test's directory: every replica's --home is under it).
func processesMentioning(s string) []string {
	entries, _ := os.ReadDir("/proc")
	var found []string
	for _, ent := range entries {
		if ent.Name() == "self" || strings.Trim(ent.Name(), "0123456789") != "" {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			found = append(found, ent.Name()+": "+string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
	}
	return found
}

func (e *e2e) local(t *testing.T) {
	out := filepath.Join(e.dir, "local")
	code, stdout, stderr := e.exec(t, "local", "--nodes", "4", "--clients", "2", "--duration", "4s",
		"--mode", "hotstuff", "--batch", "10", "--json", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Count(stdout, "\n") != 1 {
		t.Errorf("stdout holds more than the JSON line:\n%s", stdout)
	}
	var rep struct {
		Mode                  string  `json:"mode"`
		Executed              uint64  `json:"executed"`
		ExecutedPerS          float64 `json:"executed_per_s"`
		ConsistencyViolations *int64  `json:"consistency_violations"`
		OrderingViolations    *int64  `json:"ordering_violations"`
		ExecLatencyMs         struct {
			P50 float64 `json:"p50"`
		} `json:"exec_latency_ms"`
	}
	if err := json.Unmarshal([]byte(lastLine(stdout)), &rep); err != nil {
		t.Fatalf("last stdout line %q: %v", lastLine(stdout), err)
	}
	if rep.Mode != "hotstuff" || rep.Executed == 0 || rep.ExecutedPerS <= 0 || rep.ExecLatencyMs.P50 <= 0 {
		t.Errorf("report %+v: want executed commands", rep)
	}
	if rep.ConsistencyViolations == nil || *rep.ConsistencyViolations != 0 || rep.OrderingViolations == nil || *rep.OrderingViolations != 0 {
		t.Errorf("violations in %s", lastLine(stdout))
	}
	if !strings.Contains(stderr, "execution") {
		t.Errorf("no summary table on stderr:\n%s", stderr)
	}
	// The kept directory holds the reference-format logs and the records.
	data, err := os.ReadFile(filepath.Join(out, "run", "client0.exec.log"))
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} \[hotstuff info\] \d+\.\d{6}$`)
	if first, _, _ := strings.Cut(string(data), "\n"); !line.MatchString(first) {
		t.Errorf("exec log line %q is not in the reference format", first)
	}
	for _, name := range []string{"run/client1.records.jsonl", "run/replica3.exec.tsv", "logs/node0.log"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	if left := processesMentioning(out); len(left) > 0 {
		t.Errorf("replicas left behind: %v", left)
	}
	// The same records, checked again by `pompe check`.
	if code, stdout, stderr := e.exec(t, "check", filepath.Join(out, "run")); code != 0 || !strings.Contains(stdout, "OK") {
		t.Errorf("pompe check: exit %d\n%s%s", code, stdout, stderr)
	}
}

// Ctrl-C during the load stops every replica and exits non-zero.
// localInterrupted interrupts a run during its load, as Ctrl-C does: the
// partial summary is printed and marked, the records, execution logs and
// resources.json are kept, and `pompe check` passes on them.
func (e *e2e) localInterrupted(t *testing.T) {
	out := filepath.Join(e.dir, "interrupted")
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := e.command(ctx, "local", "--nodes", "4", "--clients", "1", "--duration", "60s", "--out", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The first progress line says the load runs.
	var seen strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "/60s") {
			break
		}
	}
	if !strings.Contains(seen.String(), "/60s") {
		cmd.Wait()
		t.Fatalf("the load never started:\n%s%s", seen.String(), stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != exitFailure {
		t.Errorf("interrupted run ended with %v, want exit code %d", err, exitFailure)
	}
	if !strings.Contains(stderr.String(), "interrupted") || !strings.Contains(seen.String(), "INTERRUPTED after") ||
		!strings.Contains(seen.String(), "checker: ") {
		t.Errorf("no marked partial summary in:\n%s%s", seen.String(), stderr.String())
	}
	if left := processesMentioning(out); len(left) > 0 {
		t.Errorf("replicas left behind: %v", left)
	}
	for _, name := range []string{"replica0.exec.tsv", "replica3.exec.tsv", "client0.records.jsonl", "resources.json", "load.json"} {
		if _, err := os.Stat(filepath.Join(out, "run", name)); err != nil {
			t.Errorf("interrupted run lost %s: %v", name, err)
		}
	}
	if code, stdout, stderr := e.exec(t, "check", out); code != 0 || !strings.Contains(stdout, "OK") {
		t.Errorf("check on the interrupted run: exit %d\n%s%s", code, stdout, stderr)
	}
}

func (e *e2e) simJSON(t *testing.T) {
	code, stdout, stderr := e.exec(t, "sim", "--seeds", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	var sum struct {
		Seeds        int      `json:"seeds"`
		Violations   *int     `json:"violations"`
		FailingSeeds []int64  `json:"failing_seeds"`
		SeedsPerS    *float64 `json:"seeds_per_s"`
	}
	if err := json.Unmarshal([]byte(lastLine(stdout)), &sum); err != nil {
		t.Fatalf("last line %q: %v", lastLine(stdout), err)
	}
	if sum.Seeds != 3 || sum.Violations == nil || *sum.Violations != 0 || sum.FailingSeeds == nil || len(sum.FailingSeeds) != 0 ||
		sum.SeedsPerS == nil || *sum.SeedsPerS <= 0 {
		t.Errorf("summary %s", lastLine(stdout))
	}
}

func (e *e2e) nodeCorruptConfig(t *testing.T) {
	tn := filepath.Join(e.dir, "corrupt")
	if code, stdout, stderr := e.exec(t, "testnet", "--nodes", "4", "--mode", "hotstuff", "--free-ports", "--out", tn); code != 0 {
		t.Fatalf("testnet: exit %d\n%s%s", code, stdout, stderr)
	}
	cfg := filepath.Join(tn, "node0", "config", "config.toml")
	if err := os.WriteFile(cfg, []byte("[consensus\nview_timeout = = 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := e.exec(t, "node", "--home", filepath.Join(tn, "node0"))
	if code == 0 {
		t.Fatal("node started with a corrupt config")
	}
	if !strings.HasPrefix(stderr, "pompe: ") || !strings.Contains(stderr, "config.toml") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q: want one line naming config.toml", stderr)
	}
	if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
		t.Errorf("stack trace on stderr: %s", stderr)
	}
}

func (e *e2e) client(t *testing.T) {
	tn := filepath.Join(e.dir, "tn")
	if code, stdout, stderr := e.exec(t, "testnet", "--nodes", "4", "--clients", "2", "--mode", "hotstuff",
		"--distinct-ips", "--free-ports", "--out", tn); code != 0 || !strings.Contains(stdout, "pompe node --home") {
		t.Fatalf("testnet: exit %d\n%s%s", code, stdout, stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	var nodes []*exec.Cmd
	for i := range 4 {
		cmd := e.command(ctx, "node", "--home", filepath.Join(tn, "node"+string(rune('0'+i))))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, cmd)
	}
	defer func() {
		for _, n := range nodes {
			_ = n.Process.Signal(syscall.SIGTERM)
		}
		for i, n := range nodes {
			if err := n.Wait(); err != nil {
				t.Errorf("replica %d after SIGTERM: %v", i, err)
			}
		}
	}()
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"put", "greeting", "hello"}, "OK\n"},
		{[]string{"get", "greeting"}, "hello\n"},
		// Client 1 has its own key namespace: its greeting is another key.
		{[]string{"--client", "1", "get", "greeting"}, "(not found)\n"},
		{[]string{"--client", "1", "put", "greeting", "bye"}, "OK\n"},
		{[]string{"--client", "1", "get", "greeting"}, "bye\n"},
		{[]string{"put", "greeting", "hi"}, "OK (replaced)\n"}, // same key as the first put: numbered apart
		{[]string{"get", "greeting"}, "hi\n"},
		{[]string{"delete", "greeting"}, "OK\n"},
		{[]string{"--client", "1", "get", "greeting"}, "bye\n"},
		{[]string{"get", "greeting"}, "(not found)\n"},
	}
	for _, s := range steps {
		args := append([]string{"client", "--testnet", tn}, s.args...)
		code, stdout, stderr := e.exec(t, args...)
		if code != 0 || stdout != s.want {
			t.Fatalf("pompe %v: exit %d, stdout %q (want %q), stderr %q", args, code, stdout, s.want, stderr)
		}
	}
}
