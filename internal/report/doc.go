// Package report aggregates the client side of finished runs: it finds the
// client files of each result directory (a `pompe local --out` directory,
// a `pompe bench --out` directory, or a directory of the reference
// prototype's clientN.order.log / clientN.exec.log files), and computes,
// per directory and over all of them, the commands that finished each
// phase, their rate, and p50/p90/p99/mean latencies, plus a timeline of
// both over the run.
//
// It reads client records (clientN.records.jsonl) when a directory has
// them and the reference-format latency logs otherwise. Percentiles come
// from internal/latency, the histogram the load generator itself uses, and
// a directory's load.json gives the exact window the generator measured,
// so the report of a run prints what the run printed. Without load.json
// the window is taken from the records themselves: from the first send to
// the last completion.
//
// Files are streamed: memory does not grow with the number of commands,
// except for the fairness measure (internal/fairness), which holds each
// executed command's send time and execution position (bounded by
// MaxFairnessCommands) to count pairs executed in send order.
package report
