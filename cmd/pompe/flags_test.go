package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/testnet"
)

// TestReplicaCountRule: every command that sizes a cluster refuses an n
// that is not 3f+1, with exit code 2, the flag's name and the rule, before
// anything is written or started.
func TestReplicaCountRule(t *testing.T) {
	for _, tc := range []struct {
		cmd   []string
		nodes string
	}{
		{[]string{"testnet"}, "0"},
		{[]string{"testnet"}, "2"},
		{[]string{"testnet"}, "3"},
		{[]string{"testnet"}, "5"},
		{[]string{"testnet"}, "6"},
		{[]string{"local"}, "5"},
		{[]string{"local"}, "6"},
		{[]string{"soak"}, "5"},
		{[]string{"sim"}, "6"},
		{[]string{"sim"}, "2"},
	} {
		t.Run(strings.Join(tc.cmd, " ")+"/"+tc.nodes, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append(append([]string{}, tc.cmd...), "--nodes", tc.nodes, "--out", out)
			if tc.cmd[0] == "sim" {
				args = []string{"sim", "--nodes", tc.nodes}
			}
			code, _, stderr := runCLI(t, args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, "--nodes "+tc.nodes) || !strings.Contains(stderr, "n must be 3f+1") {
				t.Errorf("stderr %q does not name --nodes and the rule", stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written though the flags were refused", out)
			}
		})
	}
	for _, n := range []string{"1", "4", "7", "10"} {
		t.Run("testnet accepts "+n, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "tn")
			code, _, stderr := runCLI(t, "testnet", "--nodes", n, "--free-ports", "--out", out)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
		})
	}
}

// TestFlagRulesRefuseBadValues: the central rules, one case each.
func TestFlagRulesRefuseBadValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"testnet out", []string{"testnet"}, "--out is required"},
		{"testnet base port", []string{"testnet", "--out", "x", "--base-peer-port", "70000"}, "--base-peer-port 70000: want a port number"},
		{"testnet port room", []string{"testnet", "--out", "x", "--nodes", "7", "--base-peer-port", "65530"}, "--base-peer-port 65530: 7 replicas need ports up to 65536"},
		{"testnet ports overlap", []string{"testnet", "--out", "x", "--base-peer-port", "30000", "--base-client-port", "30002"}, "overlap"},
		{"local payload", []string{"local", "--payload", "10"}, "--payload 10: want"},
		{"local ready timeout", []string{"local", "--ready-timeout", "0s"}, "--ready-timeout 0s: want a positive duration"},
		{"local negative stop grace", []string{"local", "--stop-grace", "-1s"}, "--stop-grace -1s: want a positive duration"},
		{"local negative ordering window", []string{"local", "--ordering-window", "-1"}, "--ordering-window -1: want at least 0"},
		{"local ordering window above inflight", []string{"local", "--inflight", "4", "--ordering-window", "5"}, "--ordering-window 5: want at most --inflight (4)"},
		{"local negative replica procs", []string{"local", "--replica-procs", "-2"}, "--replica-procs -2: want at least 0"},
		{"negative duration without a rule", []string{"cluster", "bench", "--inventory", "x", "--duration", "-2s"}, "--duration -2s: want a duration that is not negative"},
		{"local negative clients", []string{"local", "--clients", "-1"}, "--clients -1"},
		{"local negative rate", []string{"local", "--rate", "-5"}, "--rate -5"},
		{"client timeout", []string{"client", "--testnet", "x", "--timeout", "0s", "get", "k"}, "--timeout 0s"},
		{"client negative timeout", []string{"client", "--testnet", "x", "--timeout", "-3s", "get", "k"}, "--timeout -3s"},
		{"bench inflight and rate", []string{"bench", "--testnet", "x", "--inflight", "2", "--rate", "5"}, "exclude each other"},
		{"bench payload", []string{"bench", "--testnet", "x", "--payload", "3"}, "--payload 3"},
		{"soak out", []string{"soak"}, "--out is required"},
		{"sim seeds", []string{"sim", "--seeds", "0"}, "--seeds 0: want 1.."},
		{"sim duration", []string{"sim", "--duration", "500ms"}, "--duration 500ms: want at least 1s"},
		{"report negative delta", []string{"report", "x", "--fairness-delta", "-1ms"}, "--fairness-delta"},
		{"sim fault the mode ignores", []string{"sim", "--faults", "net,tslie"}, `--mode hotstuff has no ordering phase and ignores "tslie"`},
		{"client connect timeout", []string{"client", "--testnet", "x", "--connect-timeout", "0s", "get", "k"}, "--connect-timeout 0s"},
		{"node without home", []string{"node"}, "--home is required"},
		{"local byzantine over f", []string{"local", "--byzantine", "silent:2"}, "--byzantine silent:2: 2 Byzantine replicas, but --nodes 4 tolerates f = 1"},
		{"local byzantine kind", []string{"local", "--byzantine", "lying"}, `--byzantine lying: unknown kind "lying"`},
		{"local byzantine mode", []string{"local", "--mode", "hotstuff", "--byzantine", "tslie"}, "--byzantine tslie: --mode hotstuff"},
		{"local byzantine one replica", []string{"local", "--nodes", "1", "--byzantine", "silent"}, "needs at least 4 replicas"},
		{"local faults", []string{"local", "--faults", "meteor"}, `--faults meteor: "meteor" is neither a preset`},
		{"local faults without clients", []string{"local", "--clients", "0", "--faults", "crash"}, "drop --clients 0"},
		{"local faults and byzantine", []string{"local", "--faults", "crash", "--byzantine", "silent"}, "exclude each other"},
		{"local wan", []string{"local", "--wan", "/nonexistent/wan.toml"}, "--wan /nonexistent/wan.toml"},
		{"soak faults", []string{"soak", "--out", "x", "--faults", "meteor"}, "--faults meteor"},
		{"testnet clients", []string{"testnet", "--out", "x", "--clients", "20000"}, "--clients 20000: want 0..10000"},
		{"local nodes", []string{"local", "--nodes", "256"}, "--nodes 256: want 1..254"},
		{"node on a missing home", []string{"node", "--home", "/nonexistent/home"}, "does not exist; a home is one replica's directory"},
		{"k8s-home without replica", []string{"testnet", "k8s-home", "--from", "x", "--home", "y"}, "--replica -1: want at least 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q, want %q in it", stderr, tc.want)
			}
		})
	}
}

// TestFlagRulesNameRealFlags: every rule names a command and a flag that
// exist, so renaming a flag cannot silently drop its rule.
func TestFlagRulesNameRealFlags(t *testing.T) {
	root := newRootCmd(io.Discard, io.Discard)
	byPath := map[string]*cobra.Command{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		byPath[commandKey(c)] = c
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	for _, path := range ruleCommands() {
		c, ok := byPath[path]
		if !ok {
			t.Errorf("rules for %q: no such command", path)
			continue
		}
		for _, r := range flagRules[path] {
			if c.Flags().Lookup(r.flag) == nil && c.PersistentFlags().Lookup(r.flag) == nil {
				t.Errorf("rule for %s --%s: no such flag", path, r.flag)
			}
		}
	}
}

// TestUnknownVerbsAreRefused: a command that groups verbs refuses a
// missing or unknown one with exit code 2 (cobra alone prints the help
// and exits 0).
func TestUnknownVerbsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"client", "--testnet", "x", "gte", "k"}, `unknown command "gte" for "pompe client": want one of delete, get, put`},
		{[]string{"cluster", "frobnicate"}, `unknown command "frobnicate" for "pompe cluster"`},
		{[]string{"cluster"}, "pompe cluster needs a command"},
		{[]string{"frobnicate"}, "unknown command"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
}

// TestNodeOnATestnetDirectory: --home at a testnet's directory says which
// home to use instead.
func TestNodeOnATestnetDirectory(t *testing.T) {
	tn := filepath.Join(t.TempDir(), "tn")
	if code, _, stderr := runCLI(t, "testnet", "--free-ports", "--out", tn); code != exitOK {
		t.Fatalf("testnet: exit %d: %s", code, stderr)
	}
	code, _, stderr := runCLI(t, "node", "--home", tn)
	if code != exitUsage || !strings.Contains(stderr, "is a testnet's directory") || !strings.Contains(stderr, "--home "+filepath.Join(tn, "node0")) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestClientAgainstAStoppedCluster fails after --connect-timeout, naming
// every address it tried, instead of waiting out --timeout in silence.
func TestClientAgainstAStoppedCluster(t *testing.T) {
	tn := filepath.Join(t.TempDir(), "tn")
	if code, _, stderr := runCLI(t, "testnet", "--free-ports", "--out", tn); code != exitOK {
		t.Fatalf("testnet: exit %d: %s", code, stderr)
	}
	ci, err := testnet.LoadClusterInfo(tn)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "client", "--testnet", tn, "--connect-timeout", "1s", "put", "k", "v")
	if code != exitFailure || !strings.Contains(stderr, "could not reach enough replicas within --connect-timeout 1s") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, r := range ci.Genesis.Replicas {
		if !strings.Contains(stderr, r.ClientAddress) {
			t.Errorf("stderr %q does not name %s", stderr, r.ClientAddress)
		}
	}
}
