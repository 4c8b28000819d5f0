package fuzz

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Outcome is what one short fuzz run of a target did.
type Outcome struct {
	Elapsed time.Duration
	Output  []byte
	Err     error // nil when the run passed
	// NewInputs are corpus files that appeared in the target's
	// testdata/fuzz directory during the run: the failing input when Err
	// is set (Go writes one only then), a surprise otherwise.
	NewInputs []string
}

// failingInput finds the file Go names after a fuzz failure.
var failingInput = regexp.MustCompile(`Failing input written to (\S+)`)

// Build compiles the fuzzing-instrumented test binary of t's package into
// outDir, so that the build (minutes on a cold cache: every dependency is
// compiled again with coverage instrumentation) is cached and apart from
// the fuzzing that follows. Vet is left to the ordinary test run.
func Build(ctx context.Context, goTool, moduleDir string, t Target, outDir string) ([]byte, error) {
	bin := filepath.Join(outDir, strings.NewReplacer("/", "_", ".", "_").Replace(t.Package)+".test")
	cmd := exec.CommandContext(ctx, goTool, "test", "-c", "-vet=off", "-fuzz", "^"+t.Name+"$", "-o", bin, t.Package)
	cmd.Dir = moduleDir
	return cmd.CombinedOutput()
}

// RunShort fuzzes t for fuzzTime with one worker, from the module root
// moduleDir. Input minimization is bounded so that a failure does not
// take minutes to report.
func RunShort(ctx context.Context, goTool, moduleDir string, t Target, fuzzTime time.Duration) Outcome {
	corpusDir := filepath.Join(t.Dir, "testdata", "fuzz", t.Name)
	before := listFiles(corpusDir)
	cmd := exec.CommandContext(ctx, goTool, "test", "-vet=off", "-run", "^$", "-fuzz", "^"+t.Name+"$",
		"-fuzztime", fuzzTime.String(), "-fuzzminimizetime", "100x", "-parallel", "1", t.Package)
	cmd.Dir = moduleDir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	o := Outcome{Elapsed: time.Since(start), Output: out.Bytes(), Err: err}
	for _, f := range listFiles(corpusDir) {
		if !slices.Contains(before, f) {
			o.NewInputs = append(o.NewInputs, filepath.Join(corpusDir, f))
		}
	}
	if len(o.NewInputs) == 0 {
		for _, m := range failingInput.FindAllSubmatch(o.Output, -1) {
			o.NewInputs = append(o.NewInputs, filepath.Join(t.Dir, string(m[1])))
		}
	}
	return o
}

// listFiles names the files in dir; none if it does not exist.
func listFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
