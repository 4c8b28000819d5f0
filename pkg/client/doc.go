// Package client is pompe's client library: it connects to every replica of
// a cluster, turns submitted commands into ordering batches, runs the
// ordering phase of Pompe itself (timestamp requests, the median of 2f+1
// certified timestamps, sequence requests; docs/protocol.md section 2) or hands
// batches straight to the replicas in baseline mode (section 5), and accepts
// a result once f+1 replicas report the same execution (section 4).
//
// Nothing a replica says is trusted on its own. Timestamp certificates are
// checked against the replica's genesis key and must come from the
// connection of the replica they name; acknowledgements must name the
// timestamp the client asked for; an execution report counts only once f+1
// distinct replicas sent identical ones. Up to f lying or silent replicas can
// delay a command but never make the client accept a wrong result.
//
// One goroutine owns all protocol state; each replica connection has its own
// goroutine that dials, reconnects with back-off and forwards replies; one
// more goroutine runs completion callbacks so that a slow callback never
// stalls the protocol.
package client
