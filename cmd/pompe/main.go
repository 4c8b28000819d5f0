package main

import (
	"context"
	"io"
	"os"

	"github.com/pompe-bft/pompe/internal/cliexit"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes, shared by every pompe command (package cliexit).
const (
	exitOK      = cliexit.ExitOK
	exitFailure = cliexit.ExitFailure
	exitUsage   = cliexit.ExitUsage
)

// run executes one command line and returns the exit code. Errors are
// printed on one line, prefixed with "pompe:".
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cliexit.Run(ctx, newRootCmd(stdout, stderr), args, stderr, "pompe", "Run 'pompe help' or 'pompe COMMAND --help' for usage.")
}
