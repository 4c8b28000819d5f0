package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// DialRawPeer opens an authenticated replica-to-replica TLS connection to
// the replica holding serverPub, presenting key, and returns it without any
// framing on top (for tools and tests that speak bytes).
func DialRawPeer(ctx context.Context, addr string, key crypto.PrivateKey, serverPub crypto.PublicKey) (*tls.Conn, error) {
	cert, err := SelfSignedCert(key)
	if err != nil {
		return nil, err
	}
	return dialTLSConn(ctx, addr, PeerDialTLS(cert, serverPub))
}

// DialRawClient is DialRawPeer for the client port.
func DialRawClient(ctx context.Context, addr string, key crypto.PrivateKey, serverPub crypto.PublicKey) (*tls.Conn, error) {
	cert, err := SelfSignedCert(key)
	if err != nil {
		return nil, err
	}
	return dialTLSConn(ctx, addr, ClientDialTLS(cert, serverPub))
}

func dialTLSConn(ctx context.Context, addr string, cfg *tls.Config) (*tls.Conn, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: dial %s: %w", addr, err)
	}
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("transport: handshake with %s: %w", addr, err)
	}
	return tc, nil
}
