package hotstuff

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Bad input is refused with an error and changes nothing that matters; the
// core keeps working (standards: "Bad input never crashes anything").
func TestBadInputIsRefused(t *testing.T) {
	withProposal := func(c *cluster, b *Block, edit func(p *wire.Proposal)) *wire.Message {
		m := c.proposal(b, nil)
		edit(m.GetProposal())
		return m
	}
	cases := []struct {
		name string
		from uint32
		msg  func(c *cluster, bs []*Block, qcs []*wire.QuorumCert) *wire.Message
	}{
		{"proposal relayed by a non-leader", 2, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			return c.proposal(bs[1], nil)
		}},
		{"proposal by a non-leader for its own block", 2, func(c *cluster, bs []*Block, qcs []*wire.QuorumCert) *wire.Message {
			return c.proposal(c.block(2, 1, bs[0], qcs[0], nil), nil)
		}},
		{"bad proposal signature", 0, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			return withProposal(c, bs[1], func(p *wire.Proposal) {
				p.Sig = c.signer(2).Sign(crypto.DomainProposal, crypto.U64(1), bs[1].Hash[:])
			})
		}},
		{"proposal signature of another view", 0, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			return withProposal(c, bs[1], func(p *wire.Proposal) {
				p.Sig = c.signer(0).Sign(crypto.DomainProposal, crypto.U64(2), bs[1].Hash[:])
			})
		}},
		{"payload does not match its digest", 0, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			return withProposal(c, bs[1], func(p *wire.Proposal) { p.Payload = encodeItems([]uint64{666}) })
		}},
		{"QC with too few signatures", 0, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			return c.proposal(c.block(0, 2, bs[1], c.qc(1, bs[1].Hash, 0, 2), nil), nil)
		}},
		{"QC with a forged signature", 0, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			qc := c.qc(1, bs[1].Hash, 0, 1, 2)
			qc.Sigs[1] = c.signer(1).Sign(crypto.DomainVote, crypto.U64(1), bs[2].Hash[:])
			return c.proposal(c.block(0, 2, bs[1], qc, nil), nil)
		}},
		{"QC whose bitmap names more signers than signatures", 0, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			qc := c.qc(1, bs[1].Hash, 0, 1, 2)
			qc.Signers = crypto.Bitmap{0x0f}
			return c.proposal(c.block(0, 2, bs[1], qc, nil), nil)
		}},
		{"QC signed twice by one replica", 0, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			qc := c.qc(1, bs[1].Hash, 0, 2)
			qc.Sigs = append(qc.Sigs, qc.Sigs[1])
			return c.proposal(c.block(0, 2, bs[1], qc, nil), nil)
		}},
		{"block on a QC of another block", 0, func(c *cluster, bs []*Block, qcs []*wire.QuorumCert) *wire.Message {
			b := c.block(0, 2, bs[1], qcs[1], nil)
			b.msg.Parent = bs[0].Hash[:]
			b2, _ := DecodeBlock(testCluster, b.msg, nil, 4)
			return c.proposal(b2, nil)
		}},
		{"view jump without a TC", 0, func(c *cluster, bs []*Block, qcs []*wire.QuorumCert) *wire.Message {
			return c.proposal(c.block(0, 3, bs[1], qcs[1], nil), nil)
		}},
		{"TC for the wrong view", 2, func(c *cluster, bs []*Block, qcs []*wire.QuorumCert) *wire.Message {
			// TC(8) opens view 12, not 8.
			return c.proposal(c.block(2, 8, bs[1], qcs[1], nil), c.tc(8, 0, 1, 3))
		}},
		{"TC relabelled to another view", 2, func(c *cluster, bs []*Block, qcs []*wire.QuorumCert) *wire.Message {
			tc := c.tc(3, 0, 1, 3)
			tc.View = 4
			return c.proposal(c.block(2, 8, bs[1], qcs[1], nil), tc)
		}},
		{"TC with too few signatures", 2, func(c *cluster, bs []*Block, qcs []*wire.QuorumCert) *wire.Message {
			return c.proposal(c.block(2, 8, bs[1], qcs[1], nil), c.tc(4, 0, 1))
		}},
		{"proposal without block", 0, func(*cluster, []*Block, []*wire.QuorumCert) *wire.Message {
			return &wire.Message{Body: &wire.Message_Proposal{Proposal: &wire.Proposal{}}}
		}},
		{"block with a short parent hash", 0, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			return withProposal(c, bs[1], func(p *wire.Proposal) { p.Block.Parent = p.Block.Parent[:5] })
		}},
		{"block at height 0", 0, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			return withProposal(c, bs[1], func(p *wire.Proposal) { p.Block.Height = 0 })
		}},
		{"unknown proposer", 0, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			return withProposal(c, bs[1], func(p *wire.Proposal) { p.Block.Proposer = 9 })
		}},
		{"justify not below the block's view", 0, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			return withProposal(c, bs[1], func(p *wire.Proposal) { p.Block.Justify = c.qc(1, bs[0].Hash, 0, 1, 2) })
		}},
		{"view-0 QC that is not genesis", 0, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			b := c.block(0, 2, bs[1], &wire.QuorumCert{View: 0, BlockHash: bs[1].Hash[:]}, nil)
			return c.proposal(b, nil)
		}},
		{"vote relayed for another replica", 2, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			return c.vote(1, bs[1])
		}},
		{"timeout relayed for another replica", 2, func(c *cluster, _ []*Block, _ []*wire.QuorumCert) *wire.Message {
			return c.timeout(1, 1, nil)
		}},
		{"timeout with a bad signature", 2, func(c *cluster, _ []*Block, _ []*wire.QuorumCert) *wire.Message {
			m := c.timeout(2, 2, nil)
			m.GetTimeout().View = 1
			return m
		}},
		{"timeout carrying a forged high QC", 2, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			return c.timeout(2, 1, c.qc(5, bs[1].Hash, 2))
		}},
		{"sync with a forged QC", 2, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			qc := c.qc(5, bs[1].Hash, 0, 1, 2)
			qc.Sigs[0][3] ^= 1
			return &wire.Message{Body: &wire.Message_Sync{Sync: &wire.Sync{HighQc: qc}}}
		}},
		{"sync with a forged TC", 2, func(c *cluster, _ []*Block, _ []*wire.QuorumCert) *wire.Message {
			tc := c.tc(7, 0, 1, 2)
			tc.Sigs[2] = tc.Sigs[1]
			return &wire.Message{Body: &wire.Message_Sync{Sync: &wire.Sync{Tc: tc}}}
		}},
		{"sync with a TC whose QC views differ from what was signed", 2, func(c *cluster, _ []*Block, _ []*wire.QuorumCert) *wire.Message {
			tc := c.tc(7, 0, 1, 2)
			tc.HighQcViews[1] = 5
			return &wire.Message{Body: &wire.Message_Sync{Sync: &wire.Sync{Tc: tc}}}
		}},
		{"sync with a TC missing its QC views", 2, func(c *cluster, _ []*Block, _ []*wire.QuorumCert) *wire.Message {
			tc := c.tc(7, 0, 1, 2)
			tc.HighQcViews = nil
			return &wire.Message{Body: &wire.Message_Sync{Sync: &wire.Sync{Tc: tc}}}
		}},
		{"timeout reporting a forged QC", 2, func(c *cluster, bs []*Block, _ []*wire.QuorumCert) *wire.Message {
			// A QC it does not hold would raise the bound the TC puts on the
			// next proposal to a view no block reaches.
			forged := c.qc(1, bs[1].Hash, 0, 1, 2)
			forged.Sigs[0][0] ^= 1
			return c.timeout(2, 1, forged)
		}},
		{"block request with a short hash", 2, func(*cluster, []*Block, []*wire.QuorumCert) *wire.Message {
			return &wire.Message{Body: &wire.Message_BlockRequest{BlockRequest: &wire.BlockRequest{Hash: []byte{1}}}}
		}},
		{"not a consensus message", 2, func(*cluster, []*Block, []*wire.QuorumCert) *wire.Message {
			return &wire.Message{Body: &wire.Message_Collect{Collect: &wire.Collect{View: 1}}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, bs, qcs := votingFixture(t)
			core := c.nodes[3].core
			before := core.String()
			rd, err := c.stepOne(3, tc.from, tc.msg(c, bs, qcs))
			if err == nil {
				t.Fatal("accepted")
			}
			if len(votesIn(rd)) != 0 || len(rd.Committed) != 0 {
				t.Fatalf("bad input produced votes or commits: %v", rd)
			}
			if after := core.String(); after != before {
				t.Fatalf("state changed: %s -> %s", before, after)
			}
			// The core keeps working.
			rd, err = c.stepOne(3, 0, c.proposal(bs[1], nil))
			if err != nil || len(votesIn(rd)) != 1 {
				t.Fatalf("after bad input, a valid proposal got err %v and %d votes", err, len(votesIn(rd)))
			}
		})
	}
	t.Run("message from an unknown replica", func(t *testing.T) {
		c, bs, _ := votingFixture(t)
		if err := c.nodes[3].core.Step(c.now, 4, c.proposal(bs[1], nil)); err == nil {
			t.Fatal("accepted a message from replica 4 of 4")
		}
	})
}

// Votes with bad signatures never make a QC; the bad voters are dropped
// from the tally and good votes still form one.
func TestBadVotesAreDroppedFromTheTally(t *testing.T) {
	c, bs, _ := votingFixture(t)
	// Replica 0 leads view 2, so it tallies votes for view 1.
	forged := c.vote(1, bs[1])
	forged.GetVote().Sig = c.signer(1).Sign(crypto.DomainVote, crypto.U64(1), bs[2].Hash[:])
	if _, err := c.stepOne(0, 0, c.proposal(bs[1], nil)); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		from uint32
		msg  *wire.Message
	}{{1, forged}, {2, c.vote(2, bs[1])}} {
		if _, err := c.stepOne(0, m.from, m.msg); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.nodes[0].core.HighQCView(); got != 0 {
		t.Fatalf("QC for view %d formed with a forged vote", got)
	}
	if _, err := c.stepOne(0, 3, c.vote(3, bs[1])); err != nil {
		t.Fatal(err)
	}
	if got := c.nodes[0].core.HighQCView(); got != 1 {
		t.Fatalf("high QC %d after three good votes (0, 2, 3), want 1", got)
	}
}

// onBlockResponse: "the first must be wanted, each next must be the
// previous one's parent". Unasked-for and non-chaining blocks are not taken.
func TestFetchedBlocksThatDoNotChainAreRefused(t *testing.T) {
	c, bs, qcs := votingFixture(t)
	resp := func(blocks ...*Block) *wire.Message {
		r := &wire.BlockResponse{}
		for _, b := range blocks {
			r.Blocks = append(r.Blocks, &wire.BlockWithPayload{Block: proto.Clone(b.msg).(*wire.Block), Payload: b.Payload})
		}
		return &wire.Message{Body: &wire.Message_BlockResponse{BlockResponse: r}}
	}
	core := c.nodes[2].core
	// Unasked for: ignored.
	if _, err := c.stepOne(2, 1, resp(bs[2], bs[1])); err != nil {
		t.Fatal(err)
	}
	if core.Block(bs[2].Hash) != nil || core.Block(bs[1].Hash) != nil {
		t.Fatal("took blocks nobody asked for")
	}
	// Ask for b3 (a view-4 proposal certifies it), answer with b3 then a
	// block that is not its parent: only b3 is taken.
	b4 := c.block(1, 4, bs[3], qcs[3], nil)
	if _, err := c.stepOne(2, 1, c.proposal(b4, nil)); err != nil {
		t.Fatal(err)
	}
	stranger := c.block(0, 2, bs[1], qcs[1], encodeItems([]uint64{77}))
	if _, err := c.stepOne(2, 1, resp(bs[3], stranger)); err != nil {
		t.Fatal(err)
	}
	if _, asking := core.fetching[bs[2].Hash]; !asking || core.orphanCount != 2 { // b4 and b3 wait for b2
		t.Fatalf("did not keep the wanted block and ask for its parent: %s", core)
	}
	if core.Block(stranger.Hash) != nil {
		t.Fatal("took a block that is not the parent of the previous one")
	}
	// A wanted block whose payload was swapped is refused as a whole.
	bad := resp(bs[2])
	bad.GetBlockResponse().Blocks[0].Payload = encodeItems([]uint64{1234})
	if _, err := c.stepOne(2, 1, bad); err == nil {
		t.Fatal("accepted a fetched block whose payload does not match its digest")
	}
	// A wanted block with a forged justify QC is refused.
	forged := resp(bs[2])
	forged.GetBlockResponse().Blocks[0].Block.Justify.Sigs[0][0] ^= 1
	if _, err := c.stepOne(2, 1, forged); err == nil {
		t.Fatal("accepted a fetched block with a forged QC")
	}
	if core.Block(bs[2].Hash) != nil {
		t.Fatal("took a refused block")
	}
	// The honest answer completes the chain: QC(3) commits b2, and b1 with it.
	rd, err := c.stepOne(2, 1, resp(bs[2], bs[1]))
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Committed) != 2 || rd.Committed[0].Hash != bs[1].Hash || rd.Committed[1].Hash != bs[2].Hash {
		t.Fatalf("committed %v, want b1 and b2", rd.Committed)
	}
}

// A timeout's high QC view goes into the TC, where it bounds what the next
// leader may extend: it is verified even when it is not newer than the
// receiver's own, or a Byzantine replica could report a view no block
// reaches and make the TC useless.
func TestTimeoutWithAForgedOldQCIsRefused(t *testing.T) {
	c, bs, qcs := votingFixture(t)
	for v := 1; v <= 3; v++ {
		if _, err := c.stepOne(3, 0, c.proposal(bs[v], nil)); err != nil {
			t.Fatal(err)
		}
	}
	forged := proto.Clone(qcs[1]).(*wire.QuorumCert)
	forged.Sigs[0][0] ^= 1
	if _, err := c.stepOne(3, 2, c.timeout(2, 3, forged)); err == nil {
		t.Fatal("accepted a timeout whose QC(1) does not verify")
	}
	if n := len(c.nodes[3].core.timeouts[3]); n != 0 {
		t.Fatalf("tallied %d timeouts for view 3", n)
	}
}
