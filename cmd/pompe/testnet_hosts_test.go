package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// TestTestnetOnHundredHosts is the reference's largest layout: 100 hosts
// in four regions under the WAN matrix; every home must load as a replica
// loads it.
func TestTestnetOnHundredHosts(t *testing.T) {
	dir := t.TempDir()
	regions := []string{"us-east", "us-west", "eu-west", "ap-northeast"}
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, "10.%d.0.%d %s # host %d\n", i%4, i+1, regions[i%4], i)
	}
	hosts := filepath.Join(dir, "hosts.txt")
	if err := os.WriteFile(hosts, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "net")
	code, stdout, stderr := runCLI(t, "testnet", "--hosts", hosts, "--clients", "4", "--wan", "../../wan/four-regions.toml", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	ci, err := testnet.LoadClusterInfo(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ci.Homes) != 100 {
		t.Fatalf("%d replicas", len(ci.Homes))
	}
	for i, home := range ci.Homes {
		h, err := config.Load(home)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("10.%d.0.%d:26600", i%4, i+1); h.Self().PeerAddress != want {
			t.Fatalf("replica %d at %s, want %s", i, h.Self().PeerAddress, want)
		}
		if !h.Config.Emulation.Enabled || len(h.Config.Emulation.Links) != 99 || ci.Regions[i] != regions[i%4] {
			t.Fatalf("replica %d: emulation %v with %d links, region %q", i, h.Config.Emulation.Enabled, len(h.Config.Emulation.Links), ci.Regions[i])
		}
	}
}

func TestTestnetHostsErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	bad := filepath.Join(dir, "bad.txt")
	two := filepath.Join(dir, "two.txt")
	os.WriteFile(good, []byte("10.0.0.1 mars\n10.0.0.2\n10.0.0.3\n10.0.0.4\n"), 0o644)
	os.WriteFile(two, []byte("10.0.0.1\n10.0.0.2\n"), 0o644)
	os.WriteFile(bad, []byte("10.0.0.1 a b c\n"), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad line", []string{"--hosts", bad}, "line 1"},
		{"missing file", []string{"--hosts", filepath.Join(dir, "none")}, "no such file"},
		{"with distinct ips", []string{"--hosts", good, "--distinct-ips"}, "--distinct-ips"},
		{"two hosts make n = 2", []string{"--hosts", two}, "--nodes defaults to that: n must be 3f+1"},
		{"unknown region", []string{"--hosts", good, "--wan", "../../wan/four-regions.toml"}, `"mars"`},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"testnet", "--out", filepath.Join(dir, fmt.Sprint("out", i))}, tc.args...)
			code, _, stderr := runCLI(t, args...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q, want it to mention %q", code, stderr, tc.want)
			}
		})
	}
}
