// Package latency owns the one way pompe turns latency samples into
// percentiles: a bounded log-linear histogram of microseconds. The load
// generator summarizes a run with it while the run goes on, and
// internal/report recomputes the same summary from the run's files, so
// both print the same numbers for the same commands.
package latency
