// Package loadgen drives a running cluster with many clients (pkg/client)
// for a fixed window and measures it. Each client either keeps a fixed
// number of batches outstanding (closed loop) or submits at a fixed rate
// (open loop); every command is a key-value put. Clients write distinct
// keys and each cycles through its share of Options.KeySpace, so the
// application's state stays bounded in long runs.
//
// Per client it writes the reference prototype's latency logs,
// clientN.order.log and clientN.exec.log (one line per command:
// "YYYY-MM-DD HH:MM:SS.uuuuuu [hotstuff info] <seconds, 6 decimals>", the
// time being when the phase ended, local time), and the run records that
// internal/checker reads (clientN.records.jsonl). The order log measures
// first send to sequenced (2f+1 sequence acks); the exec log first send to
// the accepted execution. In hotstuff mode there is no ordering phase and
// no order log is written.
//
// Latency statistics come from internal/latency's bounded histograms, so a
// long run costs no more memory than a short one; the logs keep every
// sample. At the end of a run it writes load.json (RunInfo): the load's
// parameters and the exact measured window, from which internal/report
// recomputes the same summary out of the records.
package loadgen
