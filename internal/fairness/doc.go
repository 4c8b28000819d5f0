// Package fairness measures how well an execution order respects the order
// in which commands were sent: over all pairs (a, b) of executed commands
// from different clients where a was sent more than Δ before b, the
// fraction that executed a before b. This is the pair-order measure of the
// fair-ordering literature (Aequitas, Themis), applied to a reference time
// that no replica chooses: the client's first send, read on a clock that
// every client of a run shares.
//
// The package is pure computation on a slice of commands. It counts pairs
// exactly in O(N log N) per Δ (a sweep over send times with Fenwick trees
// over execution positions), never by enumerating pairs, and splits the
// count by whether the earlier and the later command of a pair come from a
// targeted client set, which is how a targeted-delay attack shows.
package fairness
