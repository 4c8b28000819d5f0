package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/cliexit"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/k8s"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestWritesTestnetAndManifests(t *testing.T) {
	out := filepath.Join(t.TempDir(), "net")
	code, stdout, stderr := runCLI(t, "--nodes", "4", "--clients", "2", "--namespace", "bft", "--image", "registry.example.com/pompe:v1", "--storage", "5Gi", "--out", out)
	if code != cliexit.ExitOK {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, k8s.DirName, k8s.YAMLFileName))
	if err != nil {
		t.Fatal(err)
	}
	if docs := bytes.Count(data, []byte("\n---\n")) + 1; docs != 1+3*4 {
		t.Fatalf("%d YAML documents, want 13: the Service, and per replica a Secret, a ConfigMap and a StatefulSet", docs)
	}
	for _, want := range []string{"namespace: bft", "image: registry.example.com/pompe:v1", "storage: 5Gi"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("manifests lack %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, k8s.DirName, k8s.ReadmeName)); err != nil {
		t.Fatal(err)
	}
	h, err := config.Load(filepath.Join(out, "node2"))
	if err != nil {
		t.Fatal(err)
	}
	if want := k8s.PodDNSName(2, k8s.Options{Namespace: "bft"}) + ":26600"; h.Self().PeerAddress != want {
		t.Fatalf("replica 2 at %s, want %s", h.Self().PeerAddress, want)
	}
	ci, err := os.ReadDir(filepath.Join(out, "clients"))
	if err != nil || len(ci) != 2 {
		t.Fatalf("client keys: %d, %v; want 2", len(ci), err)
	}
}

func TestWANEmulationInPods(t *testing.T) {
	out := filepath.Join(t.TempDir(), "net")
	code, stdout, stderr := runCLI(t, "--nodes", "4", "--wan", "../../wan/four-regions.toml", "--out", out)
	if code != cliexit.ExitOK {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	h, err := config.Load(filepath.Join(out, "node1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Config.Emulation.Links) == 0 {
		t.Fatal("replica 1 emulates no link")
	}
}

func TestFlagErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{"--nodes", "4"}, "--out is required"},
		{"nodes not 3f+1", []string{"--nodes", "5"}, "--nodes 5"},
		{"too many nodes", []string{"--nodes", "100000"}, "--nodes 100000"},
		{"negative clients", []string{"--clients", "-1"}, "--clients -1"},
		{"bad mode", []string{"--mode", "raft"}, "--mode raft"},
		{"metrics port", []string{"--base-client-port", "26660"}, "--base-client-port 26660"},
		{"same ports", []string{"--base-peer-port", "30000", "--base-client-port", "30000"}, "both 30000"},
		{"bad namespace", []string{"--namespace", "Bad_NS"}, "--namespace Bad_NS"},
		{"empty image", []string{"--image", ""}, "--image want a value"},
		{"image with a space", []string{"--image", "a b"}, "--image a b"},
		{"bad storage", []string{"--storage", "lots"}, "--storage lots"},
		{"zero storage", []string{"--storage", "0"}, "--storage 0"},
		{"missing wan file", []string{"--wan", "/nonexistent/wan.toml"}, "--wan /nonexistent/wan.toml"},
		{"placement flag of pompe testnet", []string{"--distinct-ips"}, "unknown flag: --distinct-ips"},
		{"argument", []string{"extra"}, "extra"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.name != "no out" {
				args = append([]string{"--out", filepath.Join(dir, string(rune('a'+i)))}, args...)
			}
			code, _, stderr := runCLI(t, args...)
			if code != cliexit.ExitUsage || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q, want a usage error mentioning %q", code, stderr, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, string(rune('a'+i)))); err == nil {
				t.Fatal("a refused command wrote its output directory")
			}
		})
	}
}

// TestFlagRulesNameFlags: a renamed flag cannot silently lose its rule.
func TestFlagRulesNameFlags(t *testing.T) {
	fs := newRootCmd(new(bytes.Buffer), new(bytes.Buffer)).Flags()
	for _, r := range flagRules {
		if fs.Lookup(r.flag) == nil {
			t.Errorf("rule for --%s, which does not exist", r.flag)
		}
	}
}
