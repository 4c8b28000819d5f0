package cliexit

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestRun(t *testing.T) {
	root := func(runErr error) *cobra.Command {
		root := &cobra.Command{Use: "tool", SilenceErrors: true, SilenceUsage: true}
		sub := &cobra.Command{Use: "sub", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error { return runErr }}
		sub.Flags().Int("count", 0, "")
		root.AddCommand(sub)
		return root
	}
	for _, tc := range []struct {
		name     string
		runErr   error
		args     []string
		want     int
		wantErr  []string // in stderr, in order
		wantNone bool     // nothing printed
	}{
		{"success", nil, []string{"sub"}, ExitOK, nil, true},
		{"error", errors.New("disk\nfull"), []string{"sub"}, ExitFailure, []string{"tool: disk; full"}, false},
		{"usage error", Usage(errors.New("--count must be positive")), []string{"sub"}, ExitUsage, []string{"tool: --count must be positive", "see --help"}, false},
		{"wrapped usage error", errors.Join(Usage(errors.New("bad"))), []string{"sub"}, ExitUsage, []string{"tool: bad", "see --help"}, false},
		{"failure already printed", Failed("violations"), []string{"sub"}, ExitFailure, nil, true},
		{"invalid flag value", nil, []string{"sub", "--count", "x"}, ExitUsage, []string{"--count", "see --help"}, false},
		{"unknown flag", nil, []string{"sub", "--nope"}, ExitUsage, []string{"--nope", "see --help"}, false},
		{"unknown command", nil, []string{"frobnicate"}, ExitUsage, []string{"unknown command", "see --help"}, false},
		{"extra argument", nil, []string{"sub", "x"}, ExitUsage, []string{"unknown command", "see --help"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			got := Run(context.Background(), root(tc.runErr), tc.args, &stderr, "tool", "see --help")
			if got != tc.want {
				t.Fatalf("exit %d, want %d (stderr %q)", got, tc.want, stderr.String())
			}
			out := stderr.String()
			if tc.wantNone && out != "" {
				t.Fatalf("printed %q, want nothing", out)
			}
			at := 0
			for _, w := range tc.wantErr {
				i := strings.Index(out[at:], w)
				if i < 0 {
					t.Fatalf("stderr %q lacks %q (in order)", out, w)
				}
				at += i + len(w)
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	if got := OneLine("a\n  b\n\nc "); got != "a; b; c" {
		t.Errorf("OneLine = %q", got)
	}
}
