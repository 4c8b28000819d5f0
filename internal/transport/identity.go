package transport

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// ALPN protocol names. A connection that negotiates anything else is
// refused, so a client cannot reach the peer port or the reverse.
const (
	ALPNPeer   = "pompe/1"
	ALPNClient = "pompe-client/1"
)

// certValidity is long on purpose: a certificate only carries a key, which
// is the identity; rotating keys means a new genesis, not a new certificate.
const certValidity = 100 * 365 * 24 * time.Hour

// SelfSignedCert makes a TLS certificate for key, signed by key itself.
func SelfSignedCert(key crypto.PrivateKey) (tls.Certificate, error) {
	if key.IsZero() {
		return tls.Certificate{}, errors.New("transport: certificate for an unset key")
	}
	std := key.Std()
	pub := key.Public()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("transport: certificate serial: %w", err)
	}
	notBefore := time.Now().Add(-time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "pompe-" + hex.EncodeToString(pub[:8])},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(certValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, std.Public(), std)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("transport: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("transport: parse own certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: std, Leaf: leaf}, nil
}

// CertPublicKey returns the ed25519 key of a certificate that is signed by
// that same key. The TLS handshake already proves the peer holds the key;
// the self-signature check refuses certificates that were not made for it.
func CertPublicKey(leaf *x509.Certificate) (crypto.PublicKey, error) {
	if leaf == nil {
		return nil, errors.New("transport: no certificate")
	}
	pub, ok := leaf.PublicKey.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("transport: certificate key is %T, want ed25519", leaf.PublicKey)
	}
	if err := leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil {
		return nil, fmt.Errorf("transport: certificate is not self-signed by its key: %w", err)
	}
	return crypto.PublicKey(bytes.Clone(pub)), nil
}

// PeerKey returns the verified key of the other side of a handshake.
func PeerKey(cs tls.ConnectionState) (crypto.PublicKey, error) {
	if len(cs.PeerCertificates) == 0 {
		return nil, errors.New("transport: peer presented no certificate")
	}
	return CertPublicKey(cs.PeerCertificates[0])
}

func baseTLS(cert tls.Certificate, alpn string) *tls.Config {
	return &tls.Config{
		MinVersion:             tls.VersionTLS13,
		Certificates:           []tls.Certificate{cert},
		NextProtos:             []string{alpn},
		SessionTicketsDisabled: true,
	}
}

func checkALPN(cs tls.ConnectionState, want string) error {
	if cs.NegotiatedProtocol != want {
		return fmt.Errorf("transport: negotiated protocol %q, want %q", cs.NegotiatedProtocol, want)
	}
	return nil
}

// PeerListenerTLS accepts replicas of committee other than self.
func PeerListenerTLS(cert tls.Certificate, committee *crypto.Committee, self uint32) *tls.Config {
	return peerListenerTLS(cert, committee, self, nil)
}

// peerListenerTLS accepts replicas of committee other than self that offer
// genesisHash (genesis.go), or the plain peer protocol.
func peerListenerTLS(cert tls.Certificate, committee *crypto.Committee, self uint32, genesisHash []byte) *tls.Config {
	c := baseTLS(cert, ALPNPeer)
	if len(genesisHash) > 0 {
		c.NextProtos = []string{genesisALPN(genesisHash), ALPNPeer}
	}
	c.ClientAuth = tls.RequireAnyClientCert
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if cs.NegotiatedProtocol != genesisALPN(genesisHash) {
			if err := checkALPN(cs, ALPNPeer); err != nil {
				return err
			}
		}
		_, err := committeeMember(cs, committee, self)
		return err
	}
	return c
}

func committeeMember(cs tls.ConnectionState, committee *crypto.Committee, self uint32) (uint32, error) {
	pub, err := PeerKey(cs)
	if err != nil {
		return 0, err
	}
	id, ok := committee.IndexOf(pub)
	if !ok {
		return 0, fmt.Errorf("transport: key %s is not in the committee", crypto.EncodeKey(pub))
	}
	if id == self {
		return 0, errors.New("transport: peer presents this replica's own key")
	}
	return id, nil
}

// PeerDialTLS connects to the replica holding replicaPub.
func PeerDialTLS(cert tls.Certificate, replicaPub crypto.PublicKey) *tls.Config {
	return dialTLS(cert, replicaPub, ALPNPeer)
}

// peerDialTLS connects to the replica holding replicaPub, offering only
// the protocol that carries genesisHash (the plain one without a hash).
func peerDialTLS(cert tls.Certificate, replicaPub crypto.PublicKey, genesisHash []byte) *tls.Config {
	return dialTLS(cert, replicaPub, genesisALPN(genesisHash))
}

// ClientListenerTLS accepts a client that proves a self-signed ed25519
// key; the key names the client. Every such client when admit is nil
// (an open cluster), otherwise only clients admit accepts (the genesis
// allowlist): a key off the list fails the handshake itself, before the
// connection takes a client slot or sends a byte of a request.
func ClientListenerTLS(cert tls.Certificate, admit func(crypto.ClientID) bool) *tls.Config {
	c := baseTLS(cert, ALPNClient)
	c.ClientAuth = tls.RequireAnyClientCert
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if err := checkALPN(cs, ALPNClient); err != nil {
			return err
		}
		pub, err := PeerKey(cs)
		if err != nil {
			return err
		}
		if admit != nil && !admit(crypto.ClientIDOf(pub)) {
			return ErrClientNotAdmitted
		}
		return nil
	}
	return c
}

// ErrClientNotAdmitted is the handshake error for a client key that is not
// on the genesis client allowlist.
var ErrClientNotAdmitted = errors.New("client key is not on the genesis client allowlist")

// ClientDialTLS connects a client to the replica holding replicaPub.
func ClientDialTLS(cert tls.Certificate, replicaPub crypto.PublicKey) *tls.Config {
	return dialTLS(cert, replicaPub, ALPNClient)
}

func dialTLS(cert tls.Certificate, replicaPub crypto.PublicKey, alpn string) *tls.Config {
	want := bytes.Clone(replicaPub)
	c := baseTLS(cert, alpn)
	// Chain verification is replaced, not skipped: VerifyConnection pins the
	// server to its genesis key.
	c.InsecureSkipVerify = true
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if err := checkALPN(cs, alpn); err != nil {
			return err
		}
		pub, err := PeerKey(cs)
		if err != nil {
			return err
		}
		if len(want) != crypto.PublicKeyBytes || !bytes.Equal(pub, want) {
			return fmt.Errorf("transport: server key %s is not the expected replica key", crypto.EncodeKey(pub))
		}
		return nil
	}
	return c
}
