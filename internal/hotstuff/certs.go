package hotstuff

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// verifyQC checks a quorum certificate; the genesis QC is valid by
// definition. Verified certificates are cached by the scheme.
func (c *Core) verifyQC(qc *wire.QuorumCert) error {
	if qc == nil {
		return errors.New("hotstuff: missing QC")
	}
	if _, err := HashFromBytes(qc.BlockHash); err != nil {
		return err
	}
	if qc.View == 0 {
		if string(qc.BlockHash) != string(c.genesis.Hash[:]) || len(qc.Sigs) != 0 {
			return errors.New("hotstuff: view-0 QC that is not the genesis QC")
		}
		return nil
	}
	if err := c.cfg.Scheme.VerifyQuorum(voteBytes(c.cluster, qc.View, qc.BlockHash), crypto.Bitmap(qc.Signers), qc.Sigs, c.q); err != nil {
		return fmt.Errorf("hotstuff: QC for view %d: %w", qc.View, err)
	}
	return nil
}

// verifyTC checks a timeout certificate: 2f+1 distinct signers, each
// signature over (view, that signer's high QC view). It returns the highest
// of those QC views: a proposal that follows the TC must extend a QC at
// least that high. The last verified TC is remembered (the same one arrives
// in syncs and proposals); the memo is keyed by the whole certificate, so it
// never changes an answer.
func (c *Core) verifyTC(tc *wire.TimeoutCert) (uint64, error) {
	if tc == nil {
		return 0, errors.New("hotstuff: missing TC")
	}
	signers := crypto.Bitmap(tc.Signers)
	if err := signers.Check(c.n); err != nil {
		return 0, fmt.Errorf("hotstuff: TC for view %d: %w", tc.View, err)
	}
	members := signers.Members()
	if len(members) < c.q || len(tc.Sigs) != len(members) || len(tc.HighQcViews) != len(members) {
		return 0, fmt.Errorf("hotstuff: TC for view %d has %d signers, %d signatures and %d QC views, needs %d of each",
			tc.View, len(members), len(tc.Sigs), len(tc.HighQcViews), c.q)
	}
	high := uint64(0)
	for _, v := range tc.HighQcViews {
		if v >= tc.View {
			return 0, fmt.Errorf("hotstuff: TC for view %d lists a QC of view %d", tc.View, v)
		}
		high = max(high, v)
	}
	key := sha256.Sum256(wire.Marshal(tc))
	if key == c.verifiedTC {
		return high, nil
	}
	items := make([]crypto.Item, len(members))
	for j, m := range members {
		items[j] = crypto.Item{Replica: uint32(m), Msg: timeoutBytes(c.cluster, tc.View, tc.HighQcViews[j]), Sig: tc.Sigs[j]}
	}
	if ok, _ := c.cfg.Committee.VerifyBatch(items); !ok {
		return 0, fmt.Errorf("hotstuff: TC for view %d: bad signature", tc.View)
	}
	c.verifiedTC = key
	return high, nil
}

// tcHighQCView is the highest QC view listed in a verified TC.
func tcHighQCView(tc *wire.TimeoutCert) uint64 {
	high := uint64(0)
	for _, v := range tc.HighQcViews {
		high = max(high, v)
	}
	return high
}

// combine builds a certificate from partial signatures; if the batch fails
// to verify, it drops the bad partials and reports them.
func (c *Core) combine(msg []byte, parts map[uint32][]byte) (crypto.Bitmap, [][]byte, []uint32, error) {
	list := make([]crypto.Partial, 0, len(parts))
	for i := 0; i < c.n; i++ {
		if s, ok := parts[uint32(i)]; ok {
			list = append(list, crypto.Partial{Signer: uint32(i), Sig: s})
		}
	}
	signers, sigs, err := c.cfg.Scheme.Combine(list)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := c.cfg.Scheme.VerifyQuorum(msg, signers, sigs, c.q); err == nil {
		return signers, sigs, nil, nil
	}
	var bad []uint32
	for _, p := range list {
		if !c.cfg.Committee.VerifyBytes(p.Signer, p.Sig, msg) {
			bad = append(bad, p.Signer)
		}
	}
	return nil, nil, bad, errors.New("hotstuff: partial signatures failed to verify")
}

// PreVerify checks the QCs a message from replica from carries (the
// justify QC of a proposal, a timeout's high QC, a sync's QC, the view
// certificate of a collect) and a proposal's signature outside the state
// machine, so that the scheme's and the committee's caches already hold
// them when the core checks them again. It may run on any goroutine; its
// result is only a hint.
func PreVerify(c *crypto.Committee, scheme crypto.QuorumScheme, from uint32, m *wire.Message) {
	qcs := make([]*wire.QuorumCert, 0, 2)
	switch b := m.Body.(type) {
	case *wire.Message_Proposal:
		if b.Proposal.Block != nil {
			qcs = append(qcs, b.Proposal.Block.Justify)
			if blk, err := DecodeBlock(c.Cluster(), b.Proposal.Block, b.Proposal.Payload, c.N()); err == nil && blk.Proposer == from {
				_ = c.VerifyCached(from, b.Proposal.Sig, crypto.DomainProposal, crypto.U64(blk.View), blk.Hash[:])
			}
		}
	case *wire.Message_Collect:
		if vc := b.Collect.ViewCert; vc != nil {
			qcs = append(qcs, vc.HighQc)
		}
	case *wire.Message_Timeout:
		qcs = append(qcs, b.Timeout.HighQc)
	case *wire.Message_Sync:
		qcs = append(qcs, b.Sync.HighQc)
	}
	for _, qc := range qcs {
		if qc != nil && qc.View > 0 {
			_ = scheme.VerifyQuorum(voteBytes(c.Cluster(), qc.View, qc.BlockHash), crypto.Bitmap(qc.Signers), qc.Sigs, c.Quorum())
		}
	}
}
