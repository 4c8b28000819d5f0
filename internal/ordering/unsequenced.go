package ordering

import (
	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
)

// unsequenced holds batch bodies between a timestamp request and the
// sequence request that follows it (and bodies fetched from other replicas
// for validation or execution). Every body is bounded three ways:
//   - in all: MaxBodies bodies and MaxBodyBytes bytes;
//   - per client: ClientBodies bodies and ClientBodyBytes bytes of the
//     batches it asked this replica to timestamp;
//   - in time: a timestamped body goes once a committed slot boundary passes
//     its timestamp (no later slot can hold it) or after UnsequencedTTLUs.
//
// At a bound the timestamp request is refused with a reason (the client
// backs off and retries); nothing already held is evicted for a newcomer, so
// a flood cannot push out the bodies of correct clients' batches.
//
// Expiry needs no scan: timestamps rise with arrival, so the arrival queue
// is also ordered by timestamp and by age, and expired bodies are always at
// its front. Fetched bodies (no timestamp of ours) have their own queue,
// ordered by age.
type unsequenced struct {
	bodies  map[batch.Digest]*body
	stamped fifo // timestamped here, by arrival
	fetched fifo // fetched from other replicas, by arrival
	bytes   int64
	nStamp  int // bodies held that this replica timestamped (the rest were fetched)
	count   map[crypto.ClientID]int
	size    map[crypto.ClientID]int64
}

// fifo is a queue of digests; entries whose body left are skipped lazily
// and compacted away once they are the majority.
type fifo struct {
	ds   []batch.Digest
	head int
}

func (q *fifo) push(d batch.Digest) { q.ds = append(q.ds, d) }
func (q *fifo) front() (batch.Digest, bool) {
	if q.head >= len(q.ds) {
		return batch.Digest{}, false
	}
	return q.ds[q.head], true
}
func (q *fifo) pop() {
	q.head++
	if q.head >= len(q.ds) {
		q.ds, q.head = q.ds[:0], 0
	} else if q.head > 1024 && q.head > len(q.ds)/2 {
		q.ds = append(q.ds[:0], q.ds[q.head:]...)
		q.head = 0
	}
}

// compact drops queued digests whose body left once they outnumber the
// live ones (held of this queue's kind) by more than 4,096, so the queue stays
// proportional to the bodies held and the scan is paid for by the entries it
// drops: never once per request, however full the table is.
func (q *fifo) compact(held int, live func(batch.Digest) bool) {
	if len(q.ds)-q.head <= 2*held+4096 {
		return
	}
	keep := q.ds[:0]
	for _, d := range q.ds[q.head:] {
		if live(d) {
			keep = append(keep, d)
		}
	}
	q.ds, q.head = keep, 0
}

func newUnsequenced() unsequenced {
	return unsequenced{bodies: make(map[batch.Digest]*body), count: make(map[crypto.ClientID]int), size: make(map[crypto.ClientID]int64)}
}

func (u *unsequenced) get(d batch.Digest) (*body, bool) {
	b, ok := u.bodies[d]
	return b, ok
}

func (u *unsequenced) len() int { return len(u.bodies) }

// admit reports why a body of size bytes from owner cannot be held now
// ("" if it can).
func (u *unsequenced) admit(cfg *Config, owner crypto.ClientID, size int64) string {
	switch {
	case len(u.bodies) >= cfg.MaxBodies || u.bytes+size > cfg.MaxBodyBytes:
		return "replica busy: too many batches waiting to be sequenced"
	case u.count[owner] >= cfg.ClientBodies || u.size[owner]+size > cfg.ClientBodyBytes:
		return "client holds its full share of batches waiting to be sequenced"
	}
	return ""
}

// put holds a body; the caller checked admit (fetched bodies are bounded by
// the blocks that need them).
func (u *unsequenced) put(d batch.Digest, b *body) {
	if old, ok := u.bodies[d]; ok {
		u.account(old, -1)
	} else if b.fetched {
		u.fetched.push(d)
	} else {
		u.stamped.push(d)
	}
	u.bodies[d] = b
	u.account(b, 1)
}

func (u *unsequenced) remove(d batch.Digest) {
	if b, ok := u.bodies[d]; ok {
		u.account(b, -1)
		delete(u.bodies, d)
	}
}

func (u *unsequenced) account(b *body, sign int) {
	size := int64(len(b.raw))
	u.bytes += int64(sign) * size
	if b.fetched {
		return
	}
	u.nStamp += sign
	u.count[b.owner] += sign
	u.size[b.owner] += int64(sign) * size
	if u.count[b.owner] <= 0 {
		delete(u.count, b.owner)
		delete(u.size, b.owner)
	}
}

// expire drops bodies that can no longer be sequenced into a slot (their
// timestamp is below the committed boundary) or that are older than ttl.
// A body in a signing window that has not closed yet stays: its client has
// not even had its timestamp.
func (u *unsequenced) expire(now, committed, ttl int64) {
	for {
		d, ok := u.stamped.front()
		if !ok {
			break
		}
		b, live := u.bodies[d]
		if live && b.fetched {
			live = false // re-fetched under the same digest: the other queue holds it
		}
		if live {
			if b.cert == nil || (b.myTS >= committed && now-b.at <= ttl) {
				break
			}
			u.remove(d)
		}
		u.stamped.pop()
	}
	for {
		d, ok := u.fetched.front()
		if !ok {
			break
		}
		if b, live := u.bodies[d]; live && b.fetched {
			if now-b.at <= ttl {
				break
			}
			u.remove(d)
		}
		u.fetched.pop()
	}
	u.stamped.compact(u.nStamp, func(d batch.Digest) bool { b, ok := u.bodies[d]; return ok && !b.fetched })
	u.fetched.compact(len(u.bodies)-u.nStamp, func(d batch.Digest) bool { b, ok := u.bodies[d]; return ok && b.fetched })
}
