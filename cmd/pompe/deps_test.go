package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// kubernetesImports are the module path prefixes of the Kubernetes API
// types, which only cmd/pompe-k8s builds: they cost about as much to
// compile as the rest of pompe. (The replica's own import path,
// internal/node, excludes them too: see its deps_test.go.)
var kubernetesImports = []string{"k8s.io/", "sigs.k8s.io/"}

// chartImports are the module path prefixes of the plotting library and
// what it pulls in (fonts, LaTeX, PDF, the x/image and freetype
// rasterizers; gonum also covers its numerics), which only
// cmd/pompe-charts builds.
var chartImports = []string{"gonum.org/", "codeberg.org/go-fonts/", "codeberg.org/go-latex/", "codeberg.org/go-pdf/",
	"golang.org/x/image/", "github.com/golang/freetype/"}

// goListDeps lists the import paths that building pkg compiles.
func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "list", "-deps", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", pkg, err, out)
	}
	return strings.Fields(string(out))
}

func kubernetesDeps(deps []string) []string { return depsUnder(deps, kubernetesImports) }

// depsUnder lists the packages of deps under one of the prefixes.
func depsUnder(deps, prefixes []string) []string {
	var k []string
	for _, pkg := range deps {
		for _, prefix := range prefixes {
			if strings.HasPrefix(pkg, prefix) {
				k = append(k, pkg)
			}
		}
	}
	return k
}

// The pompe binary imports no Kubernetes package; the manifests are built
// by cmd/pompe-k8s, which does (so the check is not vacuous).
func TestPompeDoesNotImportKubernetes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	deps := goListDeps(t, ".")
	if len(deps) < 50 {
		t.Fatalf("go list listed only %d packages", len(deps))
	}
	if k := kubernetesDeps(deps); len(k) > 0 {
		t.Errorf("pompe imports %d Kubernetes packages, among them %s: build manifests in cmd/pompe-k8s only", len(k), k[0])
	}
	if k := kubernetesDeps(goListDeps(t, "../pompe-k8s")); len(k) == 0 {
		t.Error("pompe-k8s imports no Kubernetes package: the prefixes above no longer match the API types")
	}
}

// The pompe binary imports no plotting package; the charts are drawn by
// cmd/pompe-charts, which does (so the check is not vacuous), and which
// pompe runs for `report --plot` and `soak`.
func TestPompeDoesNotImportCharts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	deps := goListDeps(t, ".")
	if len(deps) < 50 {
		t.Fatalf("go list listed only %d packages", len(deps))
	}
	if c := depsUnder(deps, chartImports); len(c) > 0 {
		t.Errorf("pompe imports %d plotting packages, among them %s: draw charts in cmd/pompe-charts only", len(c), c[0])
	}
	charts := goListDeps(t, "../pompe-charts")
	for _, prefix := range chartImports {
		if len(depsUnder(charts, []string{prefix})) == 0 {
			t.Errorf("pompe-charts imports no package under %s: the prefixes above no longer match the plotting library", prefix)
		}
	}
}
