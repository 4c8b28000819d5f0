package hotstuff

import (
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

func (c *Core) verifyTC(tc *wire.TimeoutCert) error {
	if tc == nil {
		return errors.New("hotstuff: missing TC")
	}
	if err := c.cfg.Scheme.VerifyQuorum(timeoutBytes(c.cluster, tc.View), crypto.Bitmap(tc.Signers), tc.Sigs, c.q); err != nil {
		return fmt.Errorf("hotstuff: TC for view %d: %w", tc.View, err)
	}
	return nil
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

// PreVerify checks the certificates a message carries (the justify QC of a
// proposal, a timeout's high QC, a sync's QC and TC) outside the state
// machine, so that the scheme's cache already holds them when the core
// checks them again. It may run on any goroutine; its result is only a hint.
func PreVerify(c *crypto.Committee, scheme crypto.QuorumScheme, m *wire.Message) {
	qcs := make([]*wire.QuorumCert, 0, 2)
	var tcs []*wire.TimeoutCert
	switch b := m.Body.(type) {
	case *wire.Message_Proposal:
		if b.Proposal.Block != nil {
			qcs = append(qcs, b.Proposal.Block.Justify)
		}
		tcs = append(tcs, b.Proposal.Tc)
	case *wire.Message_Timeout:
		qcs = append(qcs, b.Timeout.HighQc)
	case *wire.Message_Sync:
		qcs = append(qcs, b.Sync.HighQc)
		tcs = append(tcs, b.Sync.Tc)
	}
	for _, qc := range qcs {
		if qc != nil && qc.View > 0 {
			_ = scheme.VerifyQuorum(voteBytes(c.Cluster(), qc.View, qc.BlockHash), crypto.Bitmap(qc.Signers), qc.Sigs, c.Quorum())
		}
	}
	for _, tc := range tcs {
		if tc != nil {
			_ = scheme.VerifyQuorum(timeoutBytes(c.Cluster(), tc.View), crypto.Bitmap(tc.Signers), tc.Sigs, c.Quorum())
		}
	}
}
