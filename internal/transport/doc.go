// Package transport owns pompe's network I/O: mutually authenticated TLS 1.3
// channels bound to ed25519 keys, the replica mesh (one outbound
// connection per peer for sending, inbound connections read-only), the
// replica's client listener, the client library's connection to a replica,
// and a user-space link emulator (delay, jitter, loss, partitions).
//
// Identities come only from certificates. A certificate is self-signed by
// the ed25519 key it carries; there is no CA. A replica accepts a peer only
// if that key is in the genesis committee, and names a client by the id
// derived from its key.
//
// Sending never blocks the caller and never grows memory without bound:
// each link has a bounded queue, and a full queue drops the frame and counts
// it (consensus tolerates message loss; it does not tolerate a replica that
// stalls on a dead peer). Receiving applies back-pressure instead: a reader
// blocks while the inbound channel is full, which stops reading from TCP.
//
// A malformed frame (too large, truncated, undecodable) closes the one
// connection it arrived on, with one logged reason, and nothing else.
package transport
