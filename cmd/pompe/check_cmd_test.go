package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/checker/checkertest"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// TestCheckFailsOnEveryViolation runs `pompe check` on a real run edited
// to break one rule at a time: exit 1, and the violation named.
func TestCheckFailsOnEveryViolation(t *testing.T) {
	code, stdout, stderr := runCLI(t, "check", checkertest.Fixture("pompe"))
	if code != exitOK || !strings.Contains(stdout, "OK") {
		t.Fatalf("clean run: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, m := range checkertest.Mutations {
		t.Run(m.Name, func(t *testing.T) {
			dir := checkertest.Copy(t, "pompe")
			m.Apply(t, dir)
			code, stdout, stderr := runCLI(t, "check", dir)
			if code != exitFailure || !strings.Contains(stdout, "  "+m.Kind) || strings.Contains(stdout, "\nOK") {
				t.Fatalf("exit %d, want %d with a %q example\n%s%s", code, exitFailure, m.Kind, stdout, stderr)
			}
		})
	}
}

func TestCheckRefusesTooFewOrUnknownCorrectReplicas(t *testing.T) {
	for _, tc := range []struct{ correct, want string }{
		{"0,1", "at least n-f = 3"},
		{"0,1,7", "replica 7 does not exist"},
	} {
		code, _, stderr := runCLI(t, "check", checkertest.Fixture("pompe"), "--correct", tc.correct)
		if code != exitUsage || !strings.Contains(stderr, "--correct "+tc.correct) || !strings.Contains(stderr, tc.want) {
			t.Errorf("--correct %s: exit %d, stderr %q", tc.correct, code, stderr)
		}
	}
	if code, stdout, _ := runCLI(t, "check", checkertest.Fixture("pompe"), "--correct", "3,1,2"); code != exitOK || !strings.Contains(stdout, "OK") {
		t.Errorf("--correct 3,1,2: exit %d\n%s", code, stdout)
	}
}

// TestCheckAcceptsReportDirectories checks the layouts of `pompe local
// --out` (run/ under the directory) and of `pompe testnet` + `pompe bench`
// (records in the bench directory, logs in the replicas' homes).
func TestCheckAcceptsReportDirectories(t *testing.T) {
	fixture := checkertest.Fixture("pompe")
	files, err := os.ReadDir(fixture)
	if err != nil {
		t.Fatal(err)
	}
	copyTo := func(dir string, keep func(name string) bool) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if keep(f.Name()) {
				data, _ := os.ReadFile(filepath.Join(fixture, f.Name()))
				os.WriteFile(filepath.Join(dir, f.Name()), data, 0o644)
			}
		}
	}
	all := func(string) bool { return true }

	local := t.TempDir()
	copyTo(filepath.Join(local, "run"), all)
	if code, stdout, stderr := runCLI(t, "check", local); code != exitOK || !strings.Contains(stdout, "n = 4 (f = 1)") {
		t.Fatalf("local --out layout: exit %d\n%s%s", code, stdout, stderr)
	}

	root := t.TempDir()
	tn, bench := filepath.Join(root, "tn"), filepath.Join(root, "b1")
	if err := testnet.Generate(testnet.Options{OutDir: tn, N: 4, Clients: 2}); err != nil {
		t.Fatal(err)
	}
	copyTo(bench, func(name string) bool { return !strings.HasSuffix(name, ".exec.tsv") })
	if code, _, stderr := runCLI(t, "check", bench); code != exitFailure || !strings.Contains(stderr, "--testnet") {
		t.Fatalf("bench directory alone: exit %d, stderr %q", code, stderr)
	}
	ci, err := testnet.LoadClusterInfo(tn)
	if err != nil {
		t.Fatal(err)
	}
	for i, home := range ci.Homes[:3] {
		h, err := config.Load(home)
		if err != nil {
			t.Fatal(err)
		}
		copyTo(h.DataDir(), func(name string) bool { return name == runlog.ExecLogName(i) })
	}
	if code, _, stderr := runCLI(t, "check", bench, "--testnet", tn); code != exitFailure || !strings.Contains(stderr, "replica 3 has no execution log") {
		t.Fatalf("a home without a log: exit %d, stderr %q", code, stderr)
	}
	if code, stdout, stderr := runCLI(t, "check", bench, "--testnet", tn, "--correct", "0,1,2"); code != exitOK || !strings.Contains(stdout, "3 replica logs") {
		t.Fatalf("testnet + bench layout: exit %d\n%s%s", code, stdout, stderr)
	}
}
