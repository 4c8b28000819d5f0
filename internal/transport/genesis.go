package transport

import (
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
)

// A replica whose genesis differs from its peers' (another cluster id, mode
// or committee under the same keys) would pass the TLS checks, connect, and
// then have every message refused without a word. So replicas compare a
// genesis hash during the handshake itself: the dialer offers the ALPN
// protocol ALPNPeer + "/g=" + hash, and a listener with another hash finds
// no protocol in common and refuses the handshake. Both sides count the
// refusal (genesis_mismatches_total) and log it at ERROR once per peer.
//
// A listener also accepts the plain ALPNPeer, which tools and tests that
// speak for a replica (DialRawPeer) offer: they carry no genesis to compare.

// genesisProtoPrefix starts the ALPN protocol that carries a genesis hash.
const genesisProtoPrefix = ALPNPeer + "/g="

// genesisALPN is the peer protocol carrying hash (ALPNPeer without one).
func genesisALPN(hash []byte) string {
	if len(hash) == 0 {
		return ALPNPeer
	}
	return genesisProtoPrefix + hex.EncodeToString(hash[:min(len(hash), 16)])
}

// theirGenesis returns the genesis hash a dialer offers, if any.
func theirGenesis(hello *tls.ClientHelloInfo) (string, bool) {
	for _, p := range hello.SupportedProtos {
		if h, ok := strings.CutPrefix(p, genesisProtoPrefix); ok {
			return h, true
		}
	}
	return "", false
}

// genesisLog logs each peer's genesis mismatch once (until the link
// works again), at ERROR, in a table bounded like the log keys.
type genesisLog struct {
	mu     sync.Mutex
	logged map[string]bool
}

func (g *genesisLog) first(key string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.logged == nil {
		g.logged = make(map[string]bool)
	}
	if g.logged[key] || len(g.logged) >= maxGenesisLogKeys {
		return false
	}
	g.logged[key] = true
	return true
}

func (g *genesisLog) forget(key string) {
	g.mu.Lock()
	delete(g.logged, key)
	g.mu.Unlock()
}

const maxGenesisLogKeys = 1024

// checkGenesisHello is the peer listener's GetConfigForClient: it notes a
// dialer whose genesis hash differs (the handshake then fails for want of
// a common protocol) and lets everything else through unchanged.
func (t *Transport) checkGenesisHello(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	theirs, ok := theirGenesis(hello)
	ours := strings.TrimPrefix(genesisALPN(t.cfg.GenesisHash), genesisProtoPrefix)
	if !ok || theirs == ours || len(t.cfg.GenesisHash) == 0 {
		return nil, nil
	}
	t.genesisMismatches.Add(1)
	src := "unknown"
	if hello.Conn != nil {
		src = sourceOf(hello.Conn).ip.String()
	}
	if t.genesisLogged.first("in " + src) {
		t.log.Error("peer refused: it runs another genesis (cluster id, mode or committee); check that every replica has the same genesis.toml",
			"remote", src, "their_genesis", theirs, "our_genesis", ours)
	}
	// The handshake then fails for want of a common protocol, with the
	// no_application_protocol alert that tells the dialer why.
	return nil, nil
}

// dialGenesisMismatch reports whether a failed dial was refused for want
// of a common protocol, which between replicas means another genesis, and
// logs it once per peer.
func (t *Transport) dialGenesisMismatch(l *peerLink, err error) bool {
	// Over TCP, crypto/tls reports a received alert only as text
	// ("remote error: tls: no application protocol"); tls.AlertError is
	// for QUIC.
	if len(t.cfg.GenesisHash) == 0 || err == nil || !strings.Contains(err.Error(), "no application protocol") {
		return false
	}
	t.genesisMismatches.Add(1)
	if t.genesisLogged.first(fmt.Sprint("out ", l.id)) {
		t.log.Error("peer refused this replica's genesis: it runs another genesis (cluster id, mode or committee); check that every replica has the same genesis.toml",
			"peer", l.id, "addr", l.addr, "our_genesis", strings.TrimPrefix(genesisALPN(t.cfg.GenesisHash), genesisProtoPrefix))
	}
	return true
}
