package hotstuff

import (
	"errors"
	"slices"

	"github.com/pompe-bft/pompe/internal/wire"
)

// fetch asks hint for block h (and ancestors) unless a fetch is running.
func (c *Core) fetch(h Hash, hint uint32) {
	if _, ok := c.fetching[h]; ok {
		return
	}
	if hint == c.cfg.ID {
		hint = (hint + 1) % uint32(c.n)
	}
	c.fetching[h] = &fetchState{askedAt: c.now, hint: hint}
	c.sendBlockRequest(h, hint)
}

func (c *Core) sendBlockRequest(h Hash, to uint32) {
	req := &wire.BlockRequest{Hash: append([]byte(nil), h[:]...), MaxAncestors: uint32(c.cfg.MaxFetchBlocks - 1)}
	c.send(int(to), &wire.Message{Body: &wire.Message_BlockRequest{BlockRequest: req}})
}

// retryFetches re-asks, from the next replica, fetches that took too long.
func (c *Core) retryFetches() {
	if len(c.fetching) == 0 {
		return
	}
	keys := make([]Hash, 0, len(c.fetching))
	for h := range c.fetching {
		keys = append(keys, h)
	}
	slices.SortFunc(keys, func(a, b Hash) int { return slices.Compare(a[:], b[:]) })
	for _, h := range keys {
		f := c.fetching[h]
		if _, ok := c.blocks[h]; ok {
			delete(c.fetching, h)
			continue
		}
		if f.askedAt+c.cfg.FetchRetryUs > c.now {
			continue
		}
		f.tries++
		if f.tries > 4*c.n {
			// Nobody has it (a dead fork); a later reference starts over.
			delete(c.fetching, h)
			continue
		}
		to := (f.hint + uint32(f.tries)) % uint32(c.n)
		if to == c.cfg.ID {
			to = (to + 1) % uint32(c.n)
		}
		f.askedAt = c.now
		c.sendBlockRequest(h, to)
	}
}

// onBlockRequest serves a block and its ancestors, newest first.
func (c *Core) onBlockRequest(from uint32, r *wire.BlockRequest) error {
	h, err := HashFromBytes(r.Hash)
	if err != nil {
		return err
	}
	max := int(r.MaxAncestors) + 1
	if max > c.cfg.MaxFetchBlocks {
		max = c.cfg.MaxFetchBlocks
	}
	resp := &wire.BlockResponse{}
	for i := 0; i < max; i++ {
		b := c.Block(h)
		if b == nil || b == c.genesis || b.Height == 0 {
			break
		}
		resp.Blocks = append(resp.Blocks, &wire.BlockWithPayload{Block: b.msg, Payload: b.Payload})
		h = b.Parent
	}
	if len(resp.Blocks) > 0 {
		c.send(int(from), &wire.Message{Body: &wire.Message_BlockResponse{BlockResponse: resp}})
	}
	return nil
}

// onBlockResponse accepts a chain of blocks anchored at a hash this replica
// asked for: the first must be wanted, each next must be the previous one's
// parent. Justify QCs are verified, then blocks are inserted oldest first.
func (c *Core) onBlockResponse(from uint32, r *wire.BlockResponse) error {
	var chain []*Block
	for i, bp := range r.Blocks {
		b, err := DecodeBlock(c.cluster, bp.Block, bp.Payload, c.n)
		if err != nil {
			return err
		}
		if i == 0 {
			if _, wanted := c.fetching[b.Hash]; !wanted {
				return nil
			}
		} else if b.Hash != chain[len(chain)-1].Parent {
			break
		}
		if _, known := c.blocks[b.Hash]; known || b.Height <= c.committedHeight {
			break
		}
		if b.Parent != b.JustifyHash() {
			return errors.New("hotstuff: fetched block does not extend its QC's block")
		}
		if err := c.verifyQC(b.Justify); err != nil {
			return err
		}
		chain = append(chain, b)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		c.insertBlock(chain[i], from, false)
	}
	return nil
}
