package transport

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
)

func TestSelfSignedCertCarriesKey(t *testing.T) {
	key := newClientKey(t)
	cert, err := SelfSignedCert(key)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := CertPublicKey(cert.Leaf)
	if err != nil {
		t.Fatal(err)
	}
	if string(pub) != string(key.Public()) {
		t.Fatal("certificate carries another key")
	}
	if _, err := SelfSignedCert(crypto.PrivateKey{}); err == nil {
		t.Fatal("certificate made for an unset key")
	}
}

func TestCertPublicKeyRejects(t *testing.T) {
	signer, subject := newClientKey(t), newClientKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "x"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour),
	}
	// subject's key, signed by another key.
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, subject.Std().Public(), signer.Std())
	if err != nil {
		t.Fatal(err)
	}
	crossSigned, _ := x509.ParseCertificate(der)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ec.PublicKey, ec)
	if err != nil {
		t.Fatal(err)
	}
	ecdsaCert, _ := x509.ParseCertificate(der)
	tests := []struct {
		name string
		cert *x509.Certificate
	}{
		{"missing", nil},
		{"signed by another key", crossSigned},
		{"not ed25519", ecdsaCert},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := CertPublicKey(tc.cert); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// handshakePair runs both sides of a TLS handshake over loopback TCP.
func handshakePair(t *testing.T, server, client *tls.Config) (serverErr, clientErr error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		raw, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		s := tls.Server(raw, server)
		err = s.HandshakeContext(ctx)
		raw.Close()
		done <- err
	}()
	raw, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	c := tls.Client(raw, client)
	clientErr = c.HandshakeContext(ctx)
	if clientErr == nil {
		// In TLS 1.3 the server checks the client's certificate after the
		// client is done; a refusal arrives as an alert on the next read.
		c.SetReadDeadline(time.Now().Add(waitTimeout))
		var one [1]byte
		if _, err := c.Read(one[:]); err != nil && !isCleanEOF(err) && !errors.Is(err, syscall.ECONNRESET) {
			clientErr = err
		}
	}
	raw.Close()
	return <-done, clientErr
}

func TestTLSConfigMatrix(t *testing.T) {
	keys, committee := testKeys(t, 4)
	certs := make([]tls.Certificate, len(keys))
	for i, k := range keys {
		var err error
		if certs[i], err = SelfSignedCert(k); err != nil {
			t.Fatal(err)
		}
	}
	outsider, _ := SelfSignedCert(newClientKey(t))
	server := PeerListenerTLS(certs[0], committee, 0)
	tests := []struct {
		name   string
		server *tls.Config
		client *tls.Config
		ok     bool
	}{
		{"member to member", server, PeerDialTLS(certs[1], keys[0].Public()), true},
		{"outsider refused", server, PeerDialTLS(outsider, keys[0].Public()), false},
		{"own key refused", server, PeerDialTLS(certs[0], keys[0].Public()), false},
		{"wrong server key", server, PeerDialTLS(certs[1], keys[2].Public()), false},
		{"client protocol on peer listener", server, ClientDialTLS(certs[1], keys[0].Public()), false},
		{"client accepted", ClientListenerTLS(certs[0], nil), ClientDialTLS(outsider, keys[0].Public()), true},
		{"peer protocol on client listener", ClientListenerTLS(certs[0], nil), PeerDialTLS(outsider, keys[0].Public()), false},
		{"client without certificate", ClientListenerTLS(certs[0], nil), func() *tls.Config {
			c := ClientDialTLS(outsider, keys[0].Public())
			c.Certificates = nil
			return c
		}(), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			serverErr, clientErr := handshakePair(t, tc.server, tc.client)
			ok := serverErr == nil && clientErr == nil
			if ok != tc.ok {
				t.Fatalf("server err %v, client err %v; want ok = %v", serverErr, clientErr, tc.ok)
			}
		})
	}
}
