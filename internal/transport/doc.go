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
// stalls on a dead peer); a client whose queue overflows is disconnected.
// Receiving applies back-pressure instead: received messages hold bytes of
// an inbound budget (a total and a share per peer or client source prefix) until
// the consumer releases them, and a reader over its share stops reading from
// TCP.
//
// Every resource a remote can make the replica hold is bounded in count and
// bytes, per source and in total (docs/resources.md): pending handshakes
// (per listener, IP and /24 or /64 prefix, with a pool reserved for genesis
// peer IPs), established client connections (per IP and prefix), read
// buffers (grown as bytes arrive), and the time a connection may stay silent
// before its first byte, its handshake, its next frame (clients) or the rest
// of a started frame.
//
// A malformed frame (too large, truncated, undecodable, too many fields)
// closes the one connection it arrived on, with one logged reason, and
// nothing else. Log lines a remote can trigger are rate-limited per source
// prefix (internal/ratelog).
package transport
