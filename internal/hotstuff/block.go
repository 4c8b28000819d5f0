package hotstuff

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Hash identifies a block.
type Hash [32]byte

func (h Hash) String() string { return hex.EncodeToString(h[:4]) }

// HashFromBytes converts a wire hash, checking its length.
func HashFromBytes(b []byte) (Hash, error) {
	var h Hash
	if len(b) != len(h) {
		return h, fmt.Errorf("hotstuff: hash is %d bytes, want 32", len(b))
	}
	copy(h[:], b)
	return h, nil
}

// Block is a decoded, hashed block with its payload.
type Block struct {
	Hash     Hash
	View     uint64
	Height   uint64
	Parent   Hash
	Justify  *wire.QuorumCert // certifies Parent... or an ancestor after a view change
	Proposer uint32
	Payload  []byte

	msg *wire.Block
}

// Wire returns the block's header message.
func (b *Block) Wire() *wire.Block { return b.msg }

// JustifyHash is the hash of the block the justify QC certifies.
func (b *Block) JustifyHash() Hash {
	h, _ := HashFromBytes(b.Justify.BlockHash)
	return h
}

// GenesisHash is the hash of a cluster's genesis block.
func GenesisHash(cluster []byte) Hash {
	return sha256.Sum256(crypto.SigningBytes("pompe/genesis", cluster))
}

// genesisBlock is the root of every chain: height 0, view 0, certified by a
// QC without signatures that every replica accepts by definition.
func genesisBlock(cluster []byte) *Block {
	h := GenesisHash(cluster)
	qc := &wire.QuorumCert{View: 0, BlockHash: h[:]}
	return &Block{Hash: h, Justify: qc, msg: &wire.Block{Justify: qc}}
}

// HashBlock computes a block's hash: everything in the header except the
// justify QC's signatures, bound to the cluster.
func HashBlock(cluster []byte, b *wire.Block) Hash {
	var jv uint64
	var jh []byte
	if b.Justify != nil {
		jv, jh = b.Justify.View, b.Justify.BlockHash
	}
	return sha256.Sum256(crypto.SigningBytes("pompe/block", cluster,
		crypto.U64(b.View), crypto.U64(b.Height), b.Parent,
		crypto.U64(jv), jh, crypto.U32(b.Proposer), b.PayloadDigest))
}

// PayloadDigest is the digest a block header carries for its payload.
func PayloadDigest(payload []byte) []byte {
	d := sha256.Sum256(payload)
	return d[:]
}

// DecodeBlock checks a wire block's shape and payload digest and hashes it.
// It does not check the justify QC's signatures.
func DecodeBlock(cluster []byte, m *wire.Block, payload []byte, n int) (*Block, error) {
	if m == nil {
		return nil, errors.New("hotstuff: missing block")
	}
	parent, err := HashFromBytes(m.Parent)
	if err != nil {
		return nil, fmt.Errorf("hotstuff: block parent: %w", err)
	}
	if m.Justify == nil {
		return nil, errors.New("hotstuff: block without justify QC")
	}
	if _, err := HashFromBytes(m.Justify.BlockHash); err != nil {
		return nil, fmt.Errorf("hotstuff: justify: %w", err)
	}
	if m.Height == 0 {
		return nil, errors.New("hotstuff: block at height 0 (only genesis)")
	}
	if m.Justify.View >= m.View {
		return nil, fmt.Errorf("hotstuff: justify view %d not below block view %d", m.Justify.View, m.View)
	}
	if int(m.Proposer) >= n {
		return nil, fmt.Errorf("hotstuff: unknown proposer %d", m.Proposer)
	}
	if string(PayloadDigest(payload)) != string(m.PayloadDigest) {
		return nil, errors.New("hotstuff: payload does not match its digest")
	}
	return &Block{
		Hash:     HashBlock(cluster, m),
		View:     m.View,
		Height:   m.Height,
		Parent:   parent,
		Justify:  m.Justify,
		Proposer: m.Proposer,
		Payload:  payload,
		msg:      m,
	}, nil
}

// voteBytes is what a vote signs.
func voteBytes(cluster []byte, view uint64, h []byte) []byte {
	return crypto.SigningBytes(crypto.DomainVote, cluster, crypto.U64(view), h)
}

// timeoutBytes is what a timeout signs: the view given up and the view of
// the signer's highest QC, so that a TC proves how high the QCs of its
// signers were.
func timeoutBytes(cluster []byte, view, highQCView uint64) []byte {
	return crypto.SigningBytes(crypto.DomainTimeout, cluster, crypto.U64(view), crypto.U64(highQCView))
}
