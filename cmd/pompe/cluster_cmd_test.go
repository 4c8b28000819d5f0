package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClusterCommandErrors(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.toml")
	os.WriteFile(inv, []byte("remote_dir = \"/\"\n"), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no inventory", []string{"cluster", "status"}, 2, "--inventory is required"},
		{"missing inventory", []string{"cluster", "deploy", "--inventory", filepath.Join(dir, "none.toml")}, 1, "no such file"},
		{"bad inventory", []string{"cluster", "start", "--inventory", inv}, 1, "at least one [[replica_hosts]]"},
		{"bench flags", []string{"cluster", "bench", "--inventory", inv, "--batch", "x"}, 2, "--batch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}
