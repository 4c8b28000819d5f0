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
	return dialTLSConn(ctx, "", addr, PeerDialTLS(cert, serverPub))
}

// DialRawClient is DialRawPeer for the client port.
func DialRawClient(ctx context.Context, addr string, key crypto.PrivateKey, serverPub crypto.PublicKey) (*tls.Conn, error) {
	cert, err := SelfSignedCert(key)
	if err != nil {
		return nil, err
	}
	return dialTLSConn(ctx, "", addr, ClientDialTLS(cert, serverPub))
}

// DialRawClientFrom is DialRawClient from the local IP localIP (empty: the
// system's choice), for tools and tests that play many sources on one host.
func DialRawClientFrom(ctx context.Context, localIP, addr string, key crypto.PrivateKey, serverPub crypto.PublicKey) (*tls.Conn, error) {
	cert, err := SelfSignedCert(key)
	if err != nil {
		return nil, err
	}
	return dialTLSConn(ctx, localIP, addr, ClientDialTLS(cert, serverPub))
}

// DialTCPFrom opens a plain TCP connection from localIP (empty: the
// system's choice).
func DialTCPFrom(ctx context.Context, localIP, addr string) (net.Conn, error) {
	var d net.Dialer
	if localIP != "" {
		ip := net.ParseIP(localIP)
		if ip == nil {
			return nil, fmt.Errorf("transport: local address %q is not an IP", localIP)
		}
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	return d.DialContext(ctx, "tcp", addr)
}

func dialTLSConn(ctx context.Context, localIP, addr string, cfg *tls.Config) (*tls.Conn, error) {
	raw, err := DialTCPFrom(ctx, localIP, addr)
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
