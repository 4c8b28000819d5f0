package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestUsageErrorsExitWithTwoAndOneLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"local", "--nodez", "4"}, "unknown flag: --nodez"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"bad mode", []string{"local", "--mode", "raft"}, `--mode "raft"`},
		{"zero nodes", []string{"local", "--nodes", "0"}, "--nodes 0"},
		{"bad duration", []string{"local", "--duration", "-1s"}, "--duration"},
		{"seeds", []string{"sim", "--seeds", "0"}, "--seeds 0"},
		{"faults", []string{"sim", "--faults", "meteor"}, "meteor"},
		{"byzantine", []string{"sim", "--byzantine", "chaos"}, `--byzantine "chaos"`},
		{"exclude", []string{"sim", "--byzantine", "fuzz", "--exclude", "drop,bogus"}, `"bogus"`},
		{"mutation rate", []string{"sim", "--byzantine", "fuzz", "--mutation-rate", "1.5"}, "--mutation-rate"},
		{"correct list", []string{"check", "/nonexistent", "--correct", "0,x"}, "--correct"},
		{"check args", []string{"check"}, "requires at least 1 arg"},
		{"testnet without out", []string{"testnet"}, "--out is required"},
		{"node without home", []string{"node"}, "--home is required"},
		{"client args", []string{"client", "--testnet", "x", "put", "k"}, "accepts 2 arg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			first := strings.SplitN(stderr, "\n", 2)[0]
			if !strings.HasPrefix(first, "pompe: ") || !strings.Contains(first, tc.want) {
				t.Errorf("first stderr line %q, want %q in it", first, tc.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(out, "pompe ") {
		t.Errorf("version: code %d, output %q", code, out)
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, sub := range []string{"local", "sim", "check", "testnet", "node", "client"} {
		code, out, _ := runCLI(t, sub, "--help")
		if code != 0 || !strings.Contains(out, "pompe "+sub) {
			t.Errorf("%s --help: code %d, no example in %q", sub, code, out)
		}
	}
}

func TestParseIndexList(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"", nil, false},
		{"0,1,2", []int{0, 1, 2}, false},
		{" 3 , 5", []int{3, 5}, false},
		{"1,,2", nil, true},
		{"-1", nil, true},
		{"a", nil, true},
	}
	for _, tc := range tests {
		got, err := parseIndexList("correct", tc.in)
		if (err != nil) != tc.wantErr || (err == nil && !equalInts(got, tc.want)) {
			t.Errorf("parseIndexList(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReplayCommandRepeatsExplicitFlags(t *testing.T) {
	cmd := newSimCmd()
	if err := cmd.ParseFlags([]string{"--seeds", "50", "--first-seed", "7", "--faults", "net,crash", "--nodes", "7", "--json", "--workers", "3"}); err != nil {
		t.Fatal(err)
	}
	got := replayCommand(cmd.Flags(), 31)
	want := "pompe sim --seeds 1 --first-seed 31 --faults net,crash --nodes 7"
	if got != want {
		t.Errorf("replay = %q, want %q", got, want)
	}
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.String("faults", "", "")
	_ = fs.Parse([]string{"--faults", "it's all"})
	if got := replayCommand(fs, 1); !strings.HasSuffix(got, `--faults 'it'\''s all'`) {
		t.Errorf("quoting: %q", got)
	}
}

// A fuzz run prints a progress line when asked to, and a fuzz seed's
// replay names --byzantine fuzz and the exclusions.
func TestSimFuzzProgressAndReplay(t *testing.T) {
	code, out, stderr := runCLI(t, "sim", "--byzantine", "fuzz", "--mode", "hotstuff", "--seeds", "1", "--first-seed", "3",
		"--exclude", "drop", "--progress", "1ns", "--workers", "1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, stderr)
	}
	if !strings.Contains(stderr, "progress: 1/1 seeds (last 3), 0 failing") {
		t.Errorf("no progress line in %q", stderr)
	}
	if code, _, stderr := runCLI(t, "sim", "--byzantine", "fuzz", "--duration", "3s"); code != exitUsage || !strings.Contains(stderr, "liveness bound") {
		t.Errorf("a fuzz run too short for its liveness bound: exit %d, %q", code, stderr)
	}
	cmd := newSimCmd()
	if err := cmd.ParseFlags([]string{"--byzantine", "fuzz", "--exclude", "drop,view-far", "--mode", "pompe", "--progress", "30s"}); err != nil {
		t.Fatal(err)
	}
	if got, want := replayCommand(cmd.Flags(), 9), "pompe sim --seeds 1 --first-seed 9 --byzantine fuzz --exclude drop,view-far --mode pompe"; got != want {
		t.Errorf("replay = %q, want %q", got, want)
	}
}

// A failing seed is printed with its violations and its replay command,
// and fails the run (one replica tolerates f = 0): more Byzantine replicas than f is refused by the
// simulator as a violation.
func TestSimReportsFailingSeeds(t *testing.T) {
	code, out, _ := runCLI(t, "sim", "--seeds", "2", "--first-seed", "5", "--nodes", "1", "--faults", "byz", "--workers", "1", "--json")
	if code != exitFailure {
		t.Fatalf("exit %d, want %d: %s", code, exitFailure, out)
	}
	var sum simSummary
	if err := json.Unmarshal([]byte(lastLine(out)), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Violations != 2 || len(sum.FailingSeeds) != 2 || sum.FailingSeeds[0] != 5 {
		t.Errorf("summary %+v", sum)
	}
	if !strings.Contains(out, "replay: pompe sim --seeds 1 --first-seed 5 --faults byz --nodes 1") {
		t.Errorf("no replay command in\n%s", out)
	}
}
