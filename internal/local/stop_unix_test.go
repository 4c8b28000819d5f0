//go:build unix

package local

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// A replica's whole process group goes, even a child that ignores SIGTERM.
func TestStopKillsTheWholeGroup(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	tests := []struct {
		name      string
		script    string
		wantError bool
	}{
		{"terminates", `sleep 60 & echo $! > ` + pidFile + `; wait`, true},
		{"ignores SIGTERM", `trap "" TERM; sleep 60 & echo $! > ` + pidFile + `; wait`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(pidFile)
			p, err := startReplica(0, "sh", []string{"-c", tc.script}, nil, filepath.Join(dir, "r.log"))
			if err != nil {
				t.Fatal(err)
			}
			var child int
			for deadline := time.Now().Add(10 * time.Second); child == 0 && time.Now().Before(deadline); {
				data, _ := os.ReadFile(pidFile)
				child, _ = strconv.Atoi(strings.TrimSpace(string(data)))
				time.Sleep(10 * time.Millisecond)
			}
			if child == 0 {
				t.Fatal("child never started")
			}
			err = p.stop(300 * time.Millisecond)
			if (err != nil) != tc.wantError {
				t.Errorf("stop: %v", err)
			}
			for deadline := time.Now().Add(10 * time.Second); alive(child) && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if alive(child) {
				syscall.Kill(child, syscall.SIGKILL)
				t.Fatal("the replica's child survived stop")
			}
		})
	}
}

// A replica that refuses to start fails the run with its own words, and
// nothing is left running.
func TestRunSurfacesAReplicaThatCannotStart(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "fake-pompe")
	body := "#!/bin/sh\necho 'time=x level=INFO msg=starting'\necho 'pompe: replica: mode \"pompe\" not supported' >&2\nexit 1\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	_, err := Run(t.Context(), Options{Executable: script, Duration: time.Second, OutDir: out, ReadyTimeout: 20 * time.Second})
	if err == nil {
		t.Fatal("run succeeded without replicas")
	}
	for _, want := range []string{"replica", "exited", `mode "pompe" not supported`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// A second run into the same directory is refused.
	if _, err := Run(t.Context(), Options{Executable: script, OutDir: out}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("reused output directory: %v", err)
	}
}
