package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/k8s"
)

func TestTestnetK8sWritesManifests(t *testing.T) {
	out := filepath.Join(t.TempDir(), "net")
	code, stdout, stderr := runCLI(t, "testnet", "--k8s", "--nodes", "4", "--k8s-namespace", "bft", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, k8s.DirName, k8s.YAMLFileName))
	if err != nil {
		t.Fatal(err)
	}
	if docs := bytes.Count(data, []byte("\n---\n")) + 1; docs != 1+3*4 {
		t.Fatalf("%d YAML documents, want 13: the Service, and per replica a Secret, a ConfigMap and a StatefulSet", docs)
	}
	h, err := config.Load(filepath.Join(out, "node2"))
	if err != nil {
		t.Fatal(err)
	}
	if want := k8s.PodDNSName(2, k8s.Options{Namespace: "bft"}) + ":26600"; h.Self().PeerAddress != want {
		t.Fatalf("replica 2 at %s, want %s", h.Self().PeerAddress, want)
	}
	// The init step, run on replica 2's own files laid out flat as its
	// pod mounts them.
	from := t.TempDir()
	src := filepath.Join(out, "node2", config.ConfigDirName)
	for _, name := range []string{config.ConfigFileName, config.GenesisFileName, config.NodeKeyFileName} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(from, name), b, 0o440)
	}
	home := t.TempDir()
	code, stdout, stderr = runCLI(t, "testnet", "k8s-home", "--from", from, "--replica", "2", "--home", home)
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

func TestTestnetK8sFlagErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"namespace without k8s", []string{"--k8s-namespace", "x"}, "needs --k8s"},
		{"with distinct ips", []string{"--k8s", "--distinct-ips"}, "--distinct-ips"},
		{"bad namespace", []string{"--k8s", "--k8s-namespace", "Bad_NS"}, "namespace"},
		{"bad storage", []string{"--k8s", "--k8s-storage", "lots"}, "storage"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"testnet", "--out", filepath.Join(dir, string(rune('a'+i)))}, tc.args...)
			code, _, stderr := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q, want a usage error mentioning %q", code, stderr, tc.want)
			}
		})
	}
}
