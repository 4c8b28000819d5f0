// Package checker verifies a finished run from its run records (see
// docs/run-records.md): that correct replicas executed the same commands in
// the same order (consistency), and that the order respects the timestamps
// correct replicas gave (ordering linearizability, docs/protocol.md section 1,
// property 3).
//
// Check works on a run directory. The lower-level CheckConsistency and
// CheckOrdering work on streams and slices, for tools that hold the records
// elsewhere. Everything streams or sorts: a run of millions of commands is
// checked in O(n log n) time and memory linear in the number of commands,
// never by comparing all pairs.
//
// A violation is reported as a count and a few examples with enough detail
// to find the offending lines; the checker never stops at the first one.
package checker
