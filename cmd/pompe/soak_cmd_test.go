package main

import (
	"strings"
	"testing"
)

func TestSoakAndIdleUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"soak"}, "--out is required"},
		{[]string{"soak", "--out", "x", "--sample", "0s"}, "--sample 0s"},
		{[]string{"soak", "--out", "x", "--clients", "0"}, "--clients 0"},
		{[]string{"soak", "--out", "x", "--mode", "raft"}, `--mode "raft"`},
		{[]string{"local", "--clients", "-1"}, "--clients -1"},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, tc.args...)
		first := strings.SplitN(stderr, "\n", 2)[0]
		if code != exitUsage || !strings.Contains(first, tc.want) {
			t.Errorf("%v: exit %d, first stderr line %q, want %q in it", tc.args, code, first, tc.want)
		}
	}
	code, out, _ := runCLI(t, "soak", "--help")
	if code != 0 || !strings.Contains(out, "pompe soak") {
		t.Errorf("soak --help: code %d, output %q", code, out)
	}
}
