package node

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// heavyImports are module path prefixes that the replica must not build:
// Kubernetes API types and the charting stack (fonts, PDF, rasterizer)
// belong to the commands that write manifests and charts, and the C zstd
// of github.com/DataDog/zstd is replaced in go.mod by a pure-Go stand-in
// (its cgo compile was a third of a cold build).
var heavyImports = []string{
	"k8s.io/",
	"sigs.k8s.io/",
	"gonum.org/v1/plot",
	"codeberg.org/go-pdf/",
	"codeberg.org/go-fonts/",
	"codeberg.org/go-latex/",
	"git.sr.ht/~sbinet/gg",
	"github.com/golang/freetype",
	"golang.org/x/image/",
}

// The replica's import path (this package and everything it imports)
// stays free of Kubernetes and plotting packages, and of cgo zstd.
func TestReplicaImportPathIsLight(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "list", "-deps", "-f", "{{.ImportPath}} {{len .CgoFiles}} {{.Module}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(deps) < 50 {
		t.Fatalf("go list listed only %d packages: %s", len(deps), out)
	}
	for _, line := range deps {
		fields := strings.Fields(line)
		pkg := fields[0]
		for _, heavy := range heavyImports {
			if strings.HasPrefix(pkg, heavy) {
				t.Errorf("the replica imports %s", pkg)
			}
		}
		if pkg == "github.com/DataDog/zstd" && fields[1] != "0" {
			t.Errorf("the replica builds the cgo zstd (%s): go.mod's replace of github.com/DataDog/zstd is gone", line)
		}
	}
}
