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
// compile as the rest of pompe. (Charts still come with pompe; the
// replica's own import path, internal/node, excludes them too: see its
// deps_test.go.)
var kubernetesImports = []string{"k8s.io/", "sigs.k8s.io/"}

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

func kubernetesDeps(deps []string) []string {
	var k []string
	for _, pkg := range deps {
		for _, prefix := range kubernetesImports {
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
