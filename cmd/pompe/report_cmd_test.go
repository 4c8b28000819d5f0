package main

import (
	"strings"
	"testing"
)

func TestBenchAndReportUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bench without testnet", []string{"bench"}, "--testnet is required"},
		{"bench inflight and rate", []string{"bench", "--testnet", "x", "--inflight", "2", "--rate", "10"}, "inflight"},
		{"bench zero batch", []string{"bench", "--testnet", "x", "--batch", "0"}, "--batch 0"},
		{"bench negative offset", []string{"bench", "--testnet", "x", "--client-offset", "-1"}, "--client-offset"},
		{"report without directories", []string{"report"}, "requires at least 1 arg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			first := strings.SplitN(stderr, "\n", 2)[0]
			if code != exitUsage || !strings.Contains(first, tc.want) {
				t.Errorf("exit %d, stderr %q: want exit %d and %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
}

func TestReportOfAMissingDirectoryFails(t *testing.T) {
	code, _, stderr := runCLI(t, "report", t.TempDir())
	if code != exitFailure || !strings.Contains(stderr, "holds no client records") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
