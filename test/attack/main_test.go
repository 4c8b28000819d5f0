//go:build linux

package attack

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// binaryEnv names a pompe binary to run instead of building one.
const binaryEnv = "POMPE_ATTACK_BINARY"

var (
	pompeBin   string
	skipReason string
	buildError string
	workRoot   string
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runAttackChild(spec))
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	var err error
	workRoot, err = os.MkdirTemp("", "pompe-attack-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "attack:", err)
		return 1
	}
	defer os.RemoveAll(workRoot)
	switch {
	case os.Getenv(binaryEnv) != "":
		pompeBin = os.Getenv(binaryEnv)
	default:
		pompeBin = build(workRoot)
	}
	return m.Run()
}

// build builds cmd/pompe once for every test; -short skips the tests
// without building.
func build(dir string) string {
	for _, a := range os.Args {
		if a == "-test.short=true" || a == "-test.short" {
			skipReason = "-short: the attack tests build and run the pompe binary"
			return ""
		}
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		skipReason = "no go toolchain to build the pompe binary"
		return ""
	}
	bin := filepath.Join(dir, "pompe")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "github.com/pompe-bft/pompe/cmd/pompe")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		buildError = fmt.Sprintf("go build of cmd/pompe failed: %v\n%s", err, out.String())
		return ""
	}
	return bin
}

func requireBinary(t *testing.T) {
	t.Helper()
	switch {
	case skipReason != "":
		t.Skip(skipReason)
	case buildError != "":
		t.Fatal(buildError)
	}
}
