package cliexit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // an error, a failing seed, a violation
	ExitUsage   = 2 // bad flags or arguments
)

// UsageError is a bad flag or argument.
type UsageError struct{ Err error }

// Usage marks err as a bad flag or argument (exit code 2).
func Usage(err error) error { return UsageError{Err: err} }

// Failed reports a failure whose details were already printed (exit code
// 1, no message).
func Failed(what string) error { return FailedError{What: what} }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// FailedError reports a failure whose details were already printed.
type FailedError struct{ What string }

func (e FailedError) Error() string { return e.What }

// Run executes root with args and returns the exit code. name prefixes
// printed errors; usageHint is printed after a usage error.
func Run(ctx context.Context, root *cobra.Command, args []string, stderr io.Writer, name, usageHint string) int {
	root.SetArgs(args)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return Usage(err) })
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var failed FailedError
	if errors.As(err, &failed) {
		return ExitFailure
	}
	fmt.Fprintln(stderr, name+": "+OneLine(err.Error()))
	var usage UsageError
	if errors.As(err, &usage) || isCobraUsageError(err) {
		fmt.Fprintln(stderr, usageHint)
		return ExitUsage
	}
	return ExitFailure
}

// OneLine joins the lines of a multi-line error (errors.Join, quoted logs).
func OneLine(s string) string {
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
