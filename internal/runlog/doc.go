// Package runlog owns the run records that pompe writes and other tools
// read: the replica execution log (one TSV line per executed command) and
// the client command record (one JSON line per command a client issued).
// Both formats are a public interface, specified in docs/run-records.md;
// this package is their reference writer and reader.
//
// The execution log is written on a replica's execution hot path, so its
// writer formats lines by hand into a reused buffer (no reflection, no
// per-line allocation), and its reader parses lines in place. Both handle
// logs of many millions of lines in bounded memory: readers stream one
// record at a time and bound the length of a line.
//
// A writer is buffered: nothing reaches the file until Flush or Close. A
// process that crashes may leave a torn last line; readers report it as
// ErrTruncated, which a tool may treat as the end of the log, and
// OpenExecLog cuts it off before appending. Writers are not safe for
// concurrent use; each is owned by one goroutine.
package runlog
