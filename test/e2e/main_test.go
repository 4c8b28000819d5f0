//go:build linux

package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// keepEnv, when set in the environment, keeps the clusters' homes and logs
// for inspection.
const keepEnv = "POMPE_E2E_KEEP"

// binaryEnv, when set, names a pompe binary to run instead of building one.
const binaryEnv = "POMPE_E2E_BINARY"

// buildTimeout bounds the one build of the binary.
const buildTimeout = 5 * time.Minute

var (
	// pompeBin is the binary every test runs; empty when it could not be
	// built, and skipReason says why.
	pompeBin   string
	skipReason string
	// workRoot holds the binary and every test's clusters; no process may
	// mention it once the tests are done.
	workRoot string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	flag.Parse()
	var err error
	workRoot, err = os.MkdirTemp("", "pompe-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	keep := os.Getenv(keepEnv) != ""
	defer func() {
		if !keep {
			os.RemoveAll(workRoot)
		}
	}()
	switch {
	case testing.Short():
		skipReason = "-short: the end-to-end tests build and run the pompe binary"
	case os.Getenv(binaryEnv) != "":
		pompeBin = os.Getenv(binaryEnv)
	default:
		pompeBin, skipReason = buildPompe(workRoot)
	}
	code := m.Run()
	if left := processesMentioning(workRoot); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "e2e: processes left behind:\n%s\n", strings.Join(left, "\n"))
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: goroutines left behind:", err)
			code = 1
		}
	}
	return code
}

// buildPompe builds cmd/pompe into dir. A missing Go toolchain skips the
// tests; a failing build of present sources is reported by every test.
func buildPompe(dir string) (bin, skip string) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", "no go toolchain on PATH to build the pompe binary: " + err.Error()
	}
	bin = filepath.Join(dir, "pompe")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "github.com/pompe-bft/pompe/cmd/pompe")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		buildError = fmt.Sprintf("go build of cmd/pompe failed: %v\n%s", err, out.String())
		return "", ""
	}
	return bin, ""
}

// buildError is set when the sources do not build: a failure, not a skip.
var buildError string

// requireBinary skips or fails t when there is no binary to run.
func requireBinary(t *testing.T) {
	t.Helper()
	switch {
	case skipReason != "":
		t.Skip(skipReason)
	case buildError != "":
		t.Fatal(buildError)
	}
}

// processesMentioning lists running processes whose command line contains
// s (every replica's --home is under the work root).
func processesMentioning(s string) []string {
	entries, _ := os.ReadDir("/proc")
	var found []string
	for _, ent := range entries {
		if strings.Trim(ent.Name(), "0123456789") != "" {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			found = append(found, ent.Name()+": "+string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
	}
	return found
}
