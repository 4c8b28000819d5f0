package execution

import (
	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// replyCache keeps recent Executed replies by batch, oldest evicted first,
// bounded both in batches and in the commands their results cover: a
// bound in batches alone lets a load of large batches hold hundreds of
// megabytes of results.
type replyCache struct {
	m           map[batch.Digest]cachedReply
	order       []cachedKey // FIFO; order[head:] are live
	head        int
	commands    int
	maxBatches  int
	maxCommands int
}

type cachedReply struct {
	to  crypto.ClientID
	msg *wire.ClientMessage
}

type cachedKey struct {
	d        batch.Digest
	commands int
}

func newReplyCache(maxBatches, maxCommands int) *replyCache {
	return &replyCache{m: make(map[batch.Digest]cachedReply), maxBatches: maxBatches, maxCommands: maxCommands}
}

func (c *replyCache) get(d batch.Digest) (cachedReply, bool) {
	r, ok := c.m[d]
	return r, ok
}

func (c *replyCache) has(d batch.Digest) bool {
	_, ok := c.m[d]
	return ok
}

// put adds a reply covering commands commands, evicting the oldest until
// both bounds hold (the newest reply always stays).
func (c *replyCache) put(d batch.Digest, r cachedReply, commands int) {
	if _, ok := c.m[d]; ok {
		return
	}
	c.m[d] = r
	c.order = append(c.order, cachedKey{d: d, commands: commands})
	c.commands += commands
	for len(c.m) > 1 && (len(c.m) > c.maxBatches || c.commands > c.maxCommands) {
		old := c.order[c.head]
		c.order[c.head] = cachedKey{}
		c.head++
		delete(c.m, old.d)
		c.commands -= old.commands
	}
	// Compact once the dead prefix dominates, so order stays bounded too.
	if c.head > len(c.order)/2 {
		c.order = append(c.order[:0], c.order[c.head:]...)
		c.head = 0
	}
}
