// Package ratelog throttles log lines that others can trigger: a failed
// handshake, a refused connection, a disconnected client. Each line has a
// key (typically the remote's address prefix and the message); at most one
// line per key is written per interval, and the lines held back are counted
// and reported, per key on its next line and in total once per interval, so
// an attacker controls neither the log volume nor whether it is noticed.
package ratelog
