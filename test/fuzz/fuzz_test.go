package fuzz

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fuzzTimePerTarget keeps the whole run within a few minutes on a 2-core
// machine: with a warm build cache, most of each target's time is linking
// its instrumented test binary and replaying its corpus.
const fuzzTimePerTarget = 2 * time.Second

// Bounds that only keep a hung build or target from stalling the suite.
// A cold build cache makes the first builds slow (minutes on a loaded
// 2-core machine); fuzzing a target once built takes seconds.
const (
	buildTimeout  = 15 * time.Minute
	targetTimeout = 3 * time.Minute
)

// TestShortFuzz fuzzes every fuzz target of the module briefly, one after
// the other. A failure reports the fuzzer's output and the failing input
// it wrote under the package's testdata/fuzz (commit it as a regression
// seed once fixed).
func TestShortFuzz(t *testing.T) {
	if testing.Short() {
		t.Skip("short fuzz run skipped with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH: cannot run fuzz targets (go test -fuzz)")
	}
	root := moduleRoot(t, goTool)
	targets, err := Discover(goTool, root)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) == 0 {
		t.Fatal("no fuzz target found in the module")
	}
	start := time.Now()
	binDir := t.TempDir()
	built := make(map[string]bool)
	for _, tg := range targets {
		if built[tg.Package] {
			continue
		}
		built[tg.Package] = true
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		out, err := Build(ctx, goTool, root, tg, binDir)
		cancel()
		if err != nil {
			t.Fatalf("building %s for fuzzing: %v\n%s", tg.Package, err, tail(out, 60))
		}
	}
	t.Logf("%d instrumented test binaries built in %v", len(built), time.Since(start).Round(time.Second))
	fuzzStart := time.Now()
	for _, tg := range targets {
		ctx, cancel := context.WithTimeout(context.Background(), targetTimeout)
		o := RunShort(ctx, goTool, root, tg, fuzzTimePerTarget)
		if engineTimedOut(o) {
			// Go's fuzzing engine sometimes reports its own -fuzztime
			// deadline as a failure, with no failing input: run once more.
			t.Logf("%s: the fuzzing engine reported its own deadline, with no input; running it again", tg)
			o = RunShort(ctx, goTool, root, tg, fuzzTimePerTarget)
		}
		cancel()
		switch {
		case o.Err != nil:
			t.Errorf("%s failed after %v: %v\nnew input: %s\n%s", tg, o.Elapsed.Round(time.Millisecond), o.Err,
				strings.Join(o.NewInputs, ", "), tail(o.Output, 60))
		case len(o.NewInputs) > 0:
			t.Errorf("%s passed but wrote into testdata: %s", tg, strings.Join(o.NewInputs, ", "))
		default:
			t.Logf("%-50s ok  %v", tg, o.Elapsed.Round(time.Millisecond))
		}
	}
	t.Logf("%d targets fuzzed in %v (%v in all)", len(targets), time.Since(fuzzStart).Round(time.Second), time.Since(start).Round(time.Second))
}

// TestDiscoverFindsKnownTargets pins discovery to targets that exist, so
// a broken discovery cannot pass as "nothing to fuzz".
func TestDiscoverFindsKnownTargets(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	targets, err := Discover(goTool, moduleRoot(t, goTool))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"internal/wire FuzzDecodeMessage", "internal/config FuzzParseGenesis", "pkg/client FuzzClientReplies"} {
		if !slices.ContainsFunc(targets, func(tg Target) bool { return strings.HasSuffix(tg.String(), want) }) {
			t.Errorf("%s not discovered among %v", want, targets)
		}
	}
}

func TestFuzzTargetsIn(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"none", "package x\nfunc TestA(t *testing.T) {}\n", nil},
		{"one", "package x\nfunc FuzzA(f *testing.F) {\n}\n", []string{"FuzzA"}},
		{"two", "func FuzzA(f *testing.F) {}\nfunc FuzzB_2(ff *testing.F) {}\n", []string{"FuzzA", "FuzzB_2"}},
		{"not at line start", "// func FuzzA(f *testing.F)\n", nil},
		{"method is not a target", "func (s) FuzzA(f *testing.F) {}\n", nil},
		{"wrong parameter", "func FuzzA(t *testing.T) {}\n", nil},
		{"helper named Fuzz", "func Fuzzy(x int) {}\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FuzzTargetsIn([]byte(tt.src)); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func moduleRoot(t *testing.T, goTool string) string {
	t.Helper()
	out, err := exec.Command(goTool, "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		t.Fatalf("not inside the module: go env GOMOD = %q, %v", gomod, err)
	}
	return filepath.Dir(gomod)
}

// tail keeps the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// engineTimedOut is a run that failed only because the fuzzing engine hit
// its -fuzztime deadline mid-execution: no new input, and the engine's own
// "context deadline exceeded" as the failure.
func engineTimedOut(o Outcome) bool {
	return o.Err != nil && len(o.NewInputs) == 0 && bytes.Contains(o.Output, []byte("context deadline exceeded"))
}
