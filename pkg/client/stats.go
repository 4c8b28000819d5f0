package client

import "sync/atomic"

// counters are the client's running totals, read by Stats.
type counters struct {
	submitted  atomic.Uint64
	sequenced  atomic.Uint64
	executed   atomic.Uint64
	duplicates atomic.Uint64
	retries    atomic.Uint64
	rejects    atomic.Uint64
	invalid    atomic.Uint64
	pending    atomic.Int64
	perReplica []replicaCounters
}

type replicaCounters struct {
	invalid atomic.Uint64
	rejects atomic.Uint64
}

// Stats is a snapshot of the client's counters. Command counts are in
// commands, Retries in batch attempts (Pompe) or resends (baseline).
type Stats struct {
	Submitted uint64
	Sequenced uint64 // commands whose batch gathered 2f+1 sequence acks
	Executed  uint64 // commands completed with an accepted execution
	// Duplicates counts commands completed as Duplicate (result unknown).
	Duplicates uint64
	Retries    uint64
	Rejects    uint64 // SequenceReject and Rejected replies
	// InvalidReplies counts replies that failed validation: bad
	// certificates, acks for another timestamp, malformed reports.
	InvalidReplies uint64
	Pending        int64 // commands handed to the protocol and not completed
	Replicas       []ReplicaStats
}

// ReplicaStats describes the connection to one replica.
type ReplicaStats struct {
	ID             uint32
	Addr           string
	Connected      bool
	Reconnects     uint64
	InvalidReplies uint64
	Rejects        uint64
	LastError      string // why the last dial or connection failed
}

// Stats returns the current counters.
func (c *Client) Stats() Stats {
	s := Stats{
		Submitted:      c.counters.submitted.Load(),
		Sequenced:      c.counters.sequenced.Load(),
		Executed:       c.counters.executed.Load(),
		Duplicates:     c.counters.duplicates.Load(),
		Retries:        c.counters.retries.Load(),
		Rejects:        c.counters.rejects.Load(),
		InvalidReplies: c.counters.invalid.Load(),
		Pending:        c.counters.pending.Load(),
	}
	for i, l := range c.links {
		rs := ReplicaStats{
			ID:             l.replica.ID,
			Addr:           l.replica.ClientAddr,
			Connected:      l.connected.Load(),
			Reconnects:     l.reconnects.Load(),
			InvalidReplies: c.counters.perReplica[i].invalid.Load(),
			Rejects:        c.counters.perReplica[i].rejects.Load(),
		}
		if err := l.lastErr(); err != nil {
			rs.LastError = err.Error()
		}
		s.Replicas = append(s.Replicas, rs)
	}
	return s
}
