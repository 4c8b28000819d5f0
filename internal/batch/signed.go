package batch

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Baseline mode has no timestamp proofs, so nothing vouches that a body
// proposed by a leader, or fetched from a peer, came from the client named
// in it. A signed batch vouches for itself: it carries the submitter's
// public key and the submitter's signature, and whether it is valid is a
// function of its bytes and the cluster id alone, the same at every
// replica however it arrived.

// Sign sets b's client key to key's public half and signs b for cluster,
// returning the batch's bytes (whose digest identifies it). b's submitter
// must be key's client id for the result to pass CheckSigned.
func Sign(b *wire.Batch, key crypto.PrivateKey, cluster []byte) []byte {
	b.ClientKey = append([]byte(nil), key.Public()...)
	b.Signature = nil
	unsigned := wire.Marshal(b)
	b.Signature = crypto.NewSigner(key, cluster).Sign(crypto.DomainBatch, unsigned)
	return wire.Marshal(b)
}

// CheckSigned decodes raw and checks that it is a batch its submitter
// signed for cluster: raw is the canonical encoding of what it holds (so
// no one but the submitter can make a second digest for the same
// commands), its client key hashes to the submitter id, every command is
// the submitter's, and the signature verifies.
func CheckSigned(raw []byte, cluster []byte, lim Limits) (*wire.Batch, error) {
	b, err := Decode(raw, lim)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(wire.Marshal(b), raw) {
		return nil, errors.New("batch: not canonically encoded")
	}
	if len(b.ClientKey) != crypto.PublicKeyBytes {
		return nil, fmt.Errorf("batch: client key is %d bytes", len(b.ClientKey))
	}
	owner := crypto.ClientIDOf(b.ClientKey)
	if !bytes.Equal(b.Submitter, owner[:]) {
		return nil, errors.New("batch: client key does not own the submitter id")
	}
	for i, c := range b.Commands {
		if !bytes.Equal(c.ClientId, owner[:]) {
			return nil, fmt.Errorf("batch: command %d belongs to another client", i)
		}
	}
	// The signed bytes are everything but the signature, unknown fields
	// included, so no one can add bytes to a signed batch either.
	sig := b.Signature
	b.Signature = nil
	unsigned := wire.Marshal(b)
	b.Signature = sig
	if !crypto.VerifyClient(b.ClientKey, sig, crypto.DomainBatch, cluster, unsigned) {
		return nil, errors.New("batch: bad submitter signature")
	}
	return b, nil
}
