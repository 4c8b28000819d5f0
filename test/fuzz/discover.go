package fuzz

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Target is one fuzz target: a FuzzXxx function of a package's tests.
type Target struct {
	Package string // import path
	Dir     string // the package's directory
	Name    string
}

func (t Target) String() string { return t.Package + " " + t.Name }

// fuzzFunc matches the declaration of a fuzz target at the start of a line.
var fuzzFunc = regexp.MustCompile(`^func (Fuzz[A-Za-z0-9_]*)\(\s*\w+\s+\*testing\.F\s*\)`)

// maxTestFileBytes bounds what one test file may hold to be scanned.
const maxTestFileBytes = 8 << 20

// FuzzTargetsIn returns the fuzz targets declared in Go source src, in
// order.
func FuzzTargetsIn(src []byte) []string {
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		if m := fuzzFunc.FindSubmatch(sc.Bytes()); m != nil {
			names = append(names, string(m[1]))
		}
	}
	return names
}

// Discover lists the fuzz targets of every package of the module rooted at
// moduleDir, by reading the test files `go list` names (no build needed),
// sorted by package then name.
func Discover(goTool, moduleDir string) ([]Target, error) {
	cmd := exec.Command(goTool, "list", "-f",
		`{{.ImportPath}}{{"\t"}}{{.Dir}}{{"\t"}}{{join .TestGoFiles ","}}{{"\t"}}{{join .XTestGoFiles ","}}`, "./...")
	cmd.Dir = moduleDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var targets []Target
	for line := range strings.Lines(string(out)) {
		fields := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(fields) != 4 {
			return nil, fmt.Errorf("go list: unexpected line %q", line)
		}
		pkg, dir := fields[0], fields[1]
		for _, list := range fields[2:] {
			for _, name := range strings.Split(list, ",") {
				if name == "" {
					continue
				}
				found, err := targetsInFile(filepath.Join(dir, name))
				if err != nil {
					return nil, err
				}
				for _, f := range found {
					targets = append(targets, Target{Package: pkg, Dir: dir, Name: f})
				}
			}
		}
	}
	slices.SortFunc(targets, func(a, b Target) int { return strings.Compare(a.String(), b.String()) })
	return targets, nil
}

func targetsInFile(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > maxTestFileBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than %d to scan", path, info.Size(), maxTestFileBytes)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return FuzzTargetsIn(src), nil
}
