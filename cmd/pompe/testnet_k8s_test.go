package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/config"
)

// TestTestnetK8sMoved: the Kubernetes flags of `pompe testnet` are
// refused before anything is written, with the pompe-k8s command line
// that replaces them.
func TestTestnetK8sMoved(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"documented example", []string{"--k8s", "--nodes", "7", "--clients", "4", "--k8s-namespace", "pompe", "--k8s-image", "registry.example.com/pompe:v1", "--k8s-storage", "10Gi", "--out", "./k7"},
			"--k8s, --k8s-image, --k8s-namespace, --k8s-storage: the Kubernetes manifests moved to their own command, pompe-k8s (docs/kubernetes.md); run: go run ./cmd/pompe-k8s --clients 4 --image registry.example.com/pompe:v1 --namespace pompe --storage 10Gi --nodes 7 --out ./k7"},
		{"flags that pass through", []string{"--k8s", "--mode", "hotstuff", "--allowlist", "--base-peer-port", "30000", "--listen-all", "--out", "my net"},
			"run: go run ./cmd/pompe-k8s --allowlist --base-peer-port 30000 --mode hotstuff --out 'my net'"},
		{"placement flags are dropped", []string{"--k8s", "--distinct-ips", "--out", "x"},
			"run: go run ./cmd/pompe-k8s --out x (pods have their own addresses: --distinct-ips dropped)"},
		{"a k8s flag without --k8s", []string{"--k8s-image", "img:v2", "--out", "x"},
			"--k8s-image: the Kubernetes manifests moved"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(dir) // relative --out values land there, if anything is written
			code, stdout, stderr := runCLI(t, append([]string{"testnet"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q, want a usage error with %q", code, stderr, tc.want)
			}
			if stdout != "" {
				t.Fatalf("refused command wrote %q", stdout)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("refused command wrote %d entries", len(entries))
			}
		})
	}
}

// TestTestnetK8sHome runs the pods' init step on replica 2's files, laid
// out flat as its pod mounts them.
func TestTestnetK8sHome(t *testing.T) {
	out := filepath.Join(t.TempDir(), "net")
	if code, stdout, stderr := runCLI(t, "testnet", "--nodes", "4", "--out", out); code != 0 {
		t.Fatalf("testnet: exit %d: %s%s", code, stdout, stderr)
	}
	from := t.TempDir()
	src := filepath.Join(out, "node2", config.ConfigDirName)
	for _, name := range []string{config.ConfigFileName, config.GenesisFileName, config.NodeKeyFileName} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(from, name), b, 0o440); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir()
	code, stdout, stderr := runCLI(t, "testnet", "k8s-home", "--from", from, "--replica", "2", "--home", home)
	if code != 0 || !strings.Contains(stdout, "installed replica 2") {
		t.Fatalf("k8s-home: exit %d: %s%s", code, stdout, stderr)
	}
	// Replica 2's files are not replica 1's.
	code, _, stderr = runCLI(t, "testnet", "k8s-home", "--from", from, "--replica", "1", "--home", t.TempDir())
	if code == 0 || !strings.Contains(stderr, "holds the key of replica 2, not 1") {
		t.Fatalf("k8s-home as the wrong replica: exit %d: %s", code, stderr)
	}
	code, _, stderr = runCLI(t, "testnet", "k8s-home", "--from", from, "--home", home)
	if code != exitUsage || !strings.Contains(stderr, "--replica -1") {
		t.Fatalf("k8s-home without --replica: exit %d: %s", code, stderr)
	}
}
