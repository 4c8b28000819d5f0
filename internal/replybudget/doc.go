// Package replybudget bounds the Executed replies a replica sends again to
// clients that ask for them (a resubmitted or re-sequenced batch that
// already executed). Such a request costs its client a few bytes, while the
// reply it brings back may carry a whole batch's results (up to 4 MiB by
// default), encoded and encrypted by the replica: without a bound, any
// client could turn a trickle of requests into a replica's whole sending
// capacity and CPU.
//
// A Budget is a token bucket of reply bytes per client, and one for all
// clients together (clients are cheap to make). A resend that does not fit
// is skipped: the client's own retry timer asks again later, and the first
// reply of every batch, sent when it executes, is never charged.
//
// Everything has a limit: the table holds at most MaxClients buckets. A
// bucket that has refilled is the same as no bucket, so at the bound full
// buckets are dropped (at most one sweep per second); if none is full, a
// client without a bucket gets no resend until one is.
package replybudget
