package chartcmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeCharts writes an executable pompe-charts script into dir that
// prints who it is and its arguments, one per line, and exits with code.
func fakeCharts(t *testing.T, dir, who string, code int) string {
	t.Helper()
	path := filepath.Join(dir, Name)
	script := fmt.Sprintf("#!/bin/sh\necho %s\nfor a in \"$@\"; do echo \"$a\"; done\necho failing >&2\nexit %d\n", who, code)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// pompeIn places a stand-in for the pompe executable in a new directory.
func pompeIn(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "pompe")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}

func TestFindAndRun(t *testing.T) {
	args := ReportArgs([]string{"run 1", "run2"}, "plots", []time.Duration{time.Millisecond, 10 * time.Millisecond})
	wantArgs := []string{"report", "run 1", "run2", "--out", "plots", "--fairness-delta", "1ms,10ms"}
	if !reflect.DeepEqual(args, wantArgs) {
		t.Fatalf("args %q, want %q", args, wantArgs)
	}
	tests := []struct {
		name       string
		beside     bool // a pompe-charts next to the executable
		inPath     bool // a pompe-charts in PATH
		wantWho    string
		wantErrHas []string
	}{
		{"next to the executable", true, false, "beside", nil},
		{"next to the executable before PATH", true, true, "beside", nil},
		{"in PATH", false, true, "path", nil},
		{"not found", false, false, "", []string{
			"pompe-charts not found next to ", "nor in PATH", "charts were not drawn",
			"go build -o DIR/pompe-charts ./cmd/pompe-charts",
			"go run ./cmd/pompe-charts report 'run 1' run2 --out plots --fairness-delta 1ms,10ms"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exe := pompeIn(t)
			pathDir := t.TempDir()
			t.Setenv("PATH", pathDir)
			if tc.beside {
				fakeCharts(t, filepath.Dir(exe), "beside", 0)
			}
			if tc.inPath {
				fakeCharts(t, pathDir, "path", 0)
			}
			var stdout bytes.Buffer
			err := Runner{Beside: exe, Stdout: &stdout}.Run(context.Background(), args)
			if tc.wantErrHas != nil {
				if !IsNotFound(err) {
					t.Fatalf("error %v, want not found", err)
				}
				for _, want := range tc.wantErrHas {
					want = strings.ReplaceAll(want, "DIR", filepath.Dir(exe))
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q lacks %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			if want := append([]string{tc.wantWho}, wantArgs...); !reflect.DeepEqual(got, want) {
				t.Errorf("ran %q, want %q", got, want)
			}
		})
	}
}

// A file that is not executable is not taken for pompe-charts.
func TestFindSkipsFileNotExecutable(t *testing.T) {
	exe := pompeIn(t)
	if err := os.WriteFile(filepath.Join(filepath.Dir(exe), Name), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := (Runner{Beside: exe}).Find(SoakArgs("s")); !IsNotFound(err) {
		t.Fatalf("error %v, want not found", err)
	}
}

func TestRunReportsFailure(t *testing.T) {
	exe := pompeIn(t)
	fakeCharts(t, filepath.Dir(exe), "beside", 1)
	t.Setenv("PATH", t.TempDir())
	var stderr bytes.Buffer
	err := Runner{Beside: exe, Stderr: &stderr}.Run(context.Background(), SoakArgs("soak1"))
	if err == nil || IsNotFound(err) || !strings.Contains(err.Error(), "exit status 1") || !strings.Contains(err.Error(), "soak soak1") {
		t.Fatalf("error %v, want pompe-charts' exit status", err)
	}
	if !strings.Contains(stderr.String(), "failing") {
		t.Errorf("stderr %q: pompe-charts' own output lost", stderr.String())
	}
}

// Without a known executable the message still says what to build.
func TestNotFoundWithoutExecutableDir(t *testing.T) {
	msg := (&NotFoundError{Args: SoakArgs("s1")}).Error()
	for _, want := range []string{"not found in PATH", "go build -o DIR/pompe-charts ./cmd/pompe-charts", "go run ./cmd/pompe-charts soak s1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}

// Under `go run`, pompe lives in a temporary directory that vanishes: the
// message does not suggest building pompe-charts there.
func TestNotFoundUnderGoRun(t *testing.T) {
	exeDir := filepath.Join(t.TempDir(), "go-build1234", "b001", "exe")
	if err := os.MkdirAll(exeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	_, err := Runner{Beside: filepath.Join(exeDir, "pompe")}.Find(SoakArgs("s1"))
	if !IsNotFound(err) {
		t.Fatalf("error %v, want not found", err)
	}
	if msg := err.Error(); strings.Contains(msg, exeDir) || !strings.Contains(msg, "go build -o DIR/pompe-charts") ||
		!strings.Contains(msg, "go run ./cmd/pompe-charts soak s1") {
		t.Errorf("message %q", msg)
	}
}
