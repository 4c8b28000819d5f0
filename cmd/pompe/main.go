package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // an error, a failing seed, a violation
	exitUsage   = 2 // bad flags or arguments
)

// failedError reports a failure whose details were already printed.
type failedError struct{ what string }

func (e failedError) Error() string { return e.what }

// usageError is a bad flag or argument.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// run executes one command line and returns the exit code. Errors are
// printed on one line, prefixed with "pompe:".
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var failed failedError
	if errors.As(err, &failed) {
		return exitFailure
	}
	fmt.Fprintln(stderr, "pompe: "+oneLine(err.Error()))
	var usage usageError
	if errors.As(err, &usage) || isCobraUsageError(err) {
		fmt.Fprintln(stderr, "Run 'pompe help' or 'pompe COMMAND --help' for usage.")
		return exitUsage
	}
	return exitFailure
}

// oneLine joins the lines of a multi-line error (errors.Join, quoted logs).
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// isCobraUsageError recognizes the errors cobra returns for unknown
// commands and wrong argument counts.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "received ", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
