package crypto

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// PublicKeyBytes and SignatureBytes are the ed25519 sizes.
const (
	PublicKeyBytes = ed25519.PublicKeySize
	SignatureBytes = ed25519.SignatureSize
	SeedBytes      = ed25519.SeedSize
)

// ClientIDBytes is the length of a client id: 128 bits of SHA-256 over the
// client's public key, enough that no one can grind a key onto another
// client's id.
const ClientIDBytes = 16

// PrivateKey is an ed25519 signing key.
type PrivateKey struct {
	key ed25519.PrivateKey
}

// PublicKey is an ed25519 public key.
type PublicKey []byte

// ClientID names a client. It is derived from the client's public key.
type ClientID [ClientIDBytes]byte

// GenerateKey makes a fresh key from r (crypto/rand when nil).
func GenerateKey(r io.Reader) (PrivateKey, error) {
	if r == nil {
		r = rand.Reader
	}
	_, k, err := ed25519.GenerateKey(r)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("crypto: generate key: %w", err)
	}
	return PrivateKey{key: k}, nil
}

// KeyFromSeed rebuilds a key from its 32-byte seed.
func KeyFromSeed(seed []byte) (PrivateKey, error) {
	if len(seed) != SeedBytes {
		return PrivateKey{}, fmt.Errorf("crypto: seed is %d bytes, want %d", len(seed), SeedBytes)
	}
	return PrivateKey{key: ed25519.NewKeyFromSeed(seed)}, nil
}

// Seed returns the 32-byte seed the key derives from.
func (k PrivateKey) Seed() []byte { return k.key.Seed() }

// Public returns the public half.
func (k PrivateKey) Public() PublicKey { return PublicKey(k.key.Public().(ed25519.PublicKey)) }

// Std exposes the key as a standard-library key (for TLS certificates).
func (k PrivateKey) Std() ed25519.PrivateKey { return k.key }

// IsZero reports whether the key is unset.
func (k PrivateKey) IsZero() bool { return len(k.key) == 0 }

// ClientIDOf derives the client id owned by pub.
func ClientIDOf(pub PublicKey) ClientID {
	h := sha256.New()
	h.Write([]byte("pompe/client-id\x00"))
	h.Write(pub)
	var id ClientID
	copy(id[:], h.Sum(nil))
	return id
}

// ClientIDFromBytes converts a wire client id, checking its length.
func ClientIDFromBytes(b []byte) (ClientID, error) {
	var id ClientID
	if len(b) != ClientIDBytes {
		return id, fmt.Errorf("crypto: client id is %d bytes, want %d", len(b), ClientIDBytes)
	}
	copy(id[:], b)
	return id, nil
}

func (id ClientID) String() string { return hex.EncodeToString(id[:]) }

// EncodeKey renders a public or private key for config files.
func EncodeKey(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// DecodePublicKey parses a base64 public key.
func DecodePublicKey(s string) (PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("crypto: public key is not base64: %w", err)
	}
	if len(b) != PublicKeyBytes {
		return nil, fmt.Errorf("crypto: public key is %d bytes, want %d", len(b), PublicKeyBytes)
	}
	return PublicKey(b), nil
}

// DecodePrivateKey parses a base64 seed.
func DecodePrivateKey(s string) (PrivateKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return PrivateKey{}, errors.New("crypto: private key is not base64")
	}
	return KeyFromSeed(b)
}
