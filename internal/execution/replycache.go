package execution

import (
	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// replyCache keeps recent Executed replies by batch, so that a client that
// missed one can ask again. It is bounded in batches, in the commands their
// results cover, and in encoded bytes, oldest evicted first; and one
// client's replies may hold at most maxClientBytes, its own oldest evicted
// first, so no client can push everyone else's replies out by reading large
// values. A reply larger than a client's share is not kept at all (it is
// still sent once). Eviction only costs a client that asks again its
// answer: it then waits for f+1 other replicas, or resubmits.
type replyCache struct {
	m         map[batch.Digest]*cachedReply
	order     fifo // every live reply, oldest first (may hold evicted ones)
	perClient map[crypto.ClientID]*clientReplies

	commands, bytes int
	puts            uint64 // numbers the puts, so a queue entry names one

	maxBatches, maxCommands, maxBytes, maxClientBytes int
}

type cachedReply struct {
	to       crypto.ClientID
	msg      *wire.ClientMessage
	commands int
	bytes    int
	put      uint64 // set by put
}

type clientReplies struct {
	order fifo
	count int
	bytes int
}

// fifo is a queue of cached replies whose dead entries (evicted through the
// other queue, possibly cached again since under a newer put number) are
// skipped when popped and dropped when compacted.
type fifo struct {
	ds   []slot
	head int
}

// slot names one put: a digest and the put's number.
type slot struct {
	d   batch.Digest
	put uint64
}

func (q *fifo) push(s slot) { q.ds = append(q.ds, s) }

func (q *fifo) len() int { return len(q.ds) - q.head }

// pop returns the oldest digest for which live is true, discarding dead
// ones before it.
func (q *fifo) pop(live func(slot) bool) (batch.Digest, bool) {
	for q.head < len(q.ds) {
		s := q.ds[q.head]
		q.ds[q.head] = slot{}
		q.head++
		if live(s) {
			return s.d, true
		}
	}
	return batch.Digest{}, false
}

// compact drops dead entries once they outnumber live ones, so the queue
// stays within twice the live count (plus a constant).
func (q *fifo) compact(liveCount int, live func(slot) bool) {
	if q.len() <= 2*liveCount+64 && q.head <= len(q.ds)/2 {
		return
	}
	keep := q.ds[:0]
	for _, s := range q.ds[q.head:] {
		if live(s) {
			keep = append(keep, s)
		}
	}
	clear(q.ds[len(keep):])
	q.ds, q.head = keep, 0
}

func newReplyCache(maxBatches, maxCommands, maxBytes, maxClientBytes int) *replyCache {
	return &replyCache{
		m:          make(map[batch.Digest]*cachedReply),
		perClient:  make(map[crypto.ClientID]*clientReplies),
		maxBatches: maxBatches, maxCommands: maxCommands, maxBytes: maxBytes, maxClientBytes: maxClientBytes,
	}
}

func (c *replyCache) get(d batch.Digest) (*cachedReply, bool) {
	r, ok := c.m[d]
	return r, ok
}

func (c *replyCache) has(d batch.Digest) bool {
	_, ok := c.m[d]
	return ok
}

// put adds r unless it is already there or larger than a client's share,
// then evicts: first r's client's oldest replies until the client is within
// its share, then the oldest replies overall until every bound holds (r
// itself always stays).
func (c *replyCache) put(d batch.Digest, r *cachedReply) {
	if _, ok := c.m[d]; ok || r.bytes > c.maxClientBytes || r.bytes > c.maxBytes {
		return
	}
	c.puts++
	r.put = c.puts
	c.m[d] = r
	c.order.push(slot{d, r.put})
	c.commands += r.commands
	c.bytes += r.bytes
	cl := c.perClient[r.to]
	if cl == nil {
		cl = &clientReplies{}
		c.perClient[r.to] = cl
	}
	cl.order.push(slot{d, r.put})
	cl.count++
	cl.bytes += r.bytes
	live := func(s slot) bool { x, ok := c.m[s.d]; return ok && x.put == s.put }
	for cl.bytes > c.maxClientBytes {
		old, ok := cl.order.pop(live)
		if !ok || old == d {
			break // cannot happen: r alone fits the share
		}
		c.evict(old)
	}
	for len(c.m) > 1 && (len(c.m) > c.maxBatches || c.commands > c.maxCommands || c.bytes > c.maxBytes) {
		old, ok := c.order.pop(live)
		if !ok {
			break
		}
		c.evict(old)
	}
	c.order.compact(len(c.m), live)
	if cl := c.perClient[r.to]; cl != nil {
		cl.order.compact(cl.count, live)
	}
}

// evict removes d and its accounting.
func (c *replyCache) evict(d batch.Digest) {
	r, ok := c.m[d]
	if !ok {
		return
	}
	delete(c.m, d)
	c.commands -= r.commands
	c.bytes -= r.bytes
	cl := c.perClient[r.to]
	cl.bytes -= r.bytes
	cl.count--
	if cl.count == 0 {
		delete(c.perClient, r.to) // its queue holds only dead entries now
	}
}
