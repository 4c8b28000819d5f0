package hotstuff

import (
	"encoding/binary"
	"testing"

	"pgregory.net/rapid"
)

// TestPruneKeepsExactlyWhatTheRuleKeeps: the height index lets prune visit
// only some heights; over random block arrivals (late fork blocks below the
// committed height included), commits and prunes, the blocks in memory are
// exactly those a full scan with the rule would keep: nothing below
// committed height - MemoryBlocks, and no uncommitted block at or below the
// committed height.
func TestPruneKeepsExactlyWhatTheRuleKeeps(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		mem := rapid.Uint64Range(1, 6).Draw(rt, "memoryBlocks")
		c := newCluster(rt, 4, func(cfg *Config) { cfg.MemoryBlocks = mem })
		core := c.nodes[0].core
		want := map[Hash]*node{core.genesis.Hash: core.blocks[core.genesis.Hash]}
		next := uint64(0)
		for range rapid.IntRange(1, 60).Draw(rt, "steps") {
			switch rapid.IntRange(0, 2).Draw(rt, "op") {
			case 0, 1: // a block arrives, possibly far below the tip
				next++
				var h Hash
				binary.BigEndian.PutUint64(h[:], next)
				ht := rapid.Uint64Range(1, core.committedHeight+4).Draw(rt, "height")
				nd := &node{b: &Block{Hash: h, Height: ht}}
				nd.committed = ht <= core.committedHeight && rapid.Bool().Draw(rt, "committed")
				core.addBlock(nd)
				want[h] = nd
			case 2: // commit up to a new height, marking some blocks committed
				top := core.committedHeight + rapid.Uint64Range(0, 5).Draw(rt, "advance")
				for _, nd := range want {
					if nd.b.Height > core.committedHeight && nd.b.Height <= top && rapid.Bool().Draw(rt, "mark") {
						nd.committed = true
					}
				}
				core.committedHeight = top
				core.prune()
				low := uint64(0)
				if top > mem {
					low = top - mem
				}
				for h, nd := range want {
					if nd.b.Height < low || (nd.b != core.genesis && !nd.committed && nd.b.Height <= top) {
						delete(want, h)
					}
				}
				if len(core.blocks) != len(want) {
					rt.Fatalf("after prune at %d: %d blocks in memory, the rule keeps %d", top, len(core.blocks), len(want))
				}
				for h := range want {
					if _, ok := core.blocks[h]; !ok {
						rt.Fatalf("block %x at height %d pruned, the rule keeps it", h[:8], want[h].b.Height)
					}
				}
			}
		}
	})
}
