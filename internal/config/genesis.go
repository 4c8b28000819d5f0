package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// Mode selects the protocol a cluster runs.
type Mode string

const (
	// ModePompe orders commands by timestamps before consensus.
	ModePompe Mode = "pompe"
	// ModeHotStuff is the baseline: commands go straight into leader blocks.
	ModeHotStuff Mode = "hotstuff"
)

// Valid reports whether m names a known protocol.
func (m Mode) Valid() bool { return m == ModePompe || m == ModeHotStuff }

// Genesis defines a cluster. Every replica holds an identical copy.
type Genesis struct {
	// ClusterID is bound into every signature, so signatures of one
	// cluster are worthless in another.
	ClusterID string        `toml:"cluster_id"`
	Mode      Mode          `toml:"mode"`
	Created   time.Time     `toml:"created"`
	Replicas  []ReplicaInfo `toml:"replicas"`
	// Clients, if not empty, is the client allowlist: the public keys
	// (crypto.EncodeKey) of the only clients the cluster admits. Replicas
	// refuse other keys at the TLS handshake and refuse batches submitted
	// by them wherever they arrive (docs/protocol.md section 7). Empty: any
	// client key may connect.
	Clients []string `toml:"clients,omitempty"`
}

// MaxAllowlistClients bounds the genesis client allowlist (a table every
// replica holds: 65,536 ids of 16 bytes); the list also fits
// MaxGenesisBytes.
const MaxAllowlistClients = 1 << 16

// ReplicaInfo is one replica's public identity and addresses.
type ReplicaInfo struct {
	Index         int    `toml:"index"`
	PublicKey     string `toml:"public_key"` // crypto.EncodeKey
	PeerAddress   string `toml:"peer_address"`
	ClientAddress string `toml:"client_address"`
}

// N is the number of replicas.
func (g *Genesis) N() int { return len(g.Replicas) }

// F is the number of faulty replicas tolerated: n = 3f+1. For a genesis that
// Validate refuses because n is not 3f+1 it is 0; nothing may rely on it then.
func (g *Genesis) F() int {
	f, _ := crypto.FaultsTolerated(len(g.Replicas))
	return f
}

// Validate checks the cluster definition.
func (g *Genesis) Validate() error {
	var errs []error
	bad := func(key string, value any, problem string) {
		errs = append(errs, fmt.Errorf("%s = %v: %s", key, value, problem))
	}
	if g.ClusterID == "" {
		bad("cluster_id", `""`, "must not be empty")
	}
	if !g.Mode.Valid() {
		bad("mode", strconv.Quote(string(g.Mode)), fmt.Sprintf("must be %q or %q", ModePompe, ModeHotStuff))
	}
	if len(g.Replicas) == 0 {
		errs = append(errs, errors.New("replicas: at least one [[replicas]] entry is needed"))
	} else if _, err := crypto.FaultsTolerated(len(g.Replicas)); err != nil {
		errs = append(errs, fmt.Errorf("replicas: %d [[replicas]] entries: %v, so that any two quorums of 2f+1 share a correct replica", len(g.Replicas), err))
	}
	keys := map[string]int{}
	addrs := map[string]string{}
	for i, r := range g.Replicas {
		prefix := fmt.Sprintf("replicas[%d].", i)
		if r.Index != i {
			bad(prefix+"index", r.Index, fmt.Sprintf("replicas must be listed in index order 0..n-1; want %d", i))
		}
		if pub, err := crypto.DecodePublicKey(r.PublicKey); err != nil {
			bad(prefix+"public_key", strconv.Quote(r.PublicKey), err.Error())
		} else if _, err := crypto.NewCommittee(nil, []crypto.PublicKey{pub}); err != nil {
			// Decodes, but is no point on the curve: the node would
			// refuse it only later, when it builds the committee.
			bad(prefix+"public_key", strconv.Quote(r.PublicKey), "not a valid ed25519 public key")
		} else if j, dup := keys[string(pub)]; dup {
			bad(prefix+"public_key", strconv.Quote(r.PublicKey), fmt.Sprintf("same key as replica %d", j))
		} else {
			keys[string(pub)] = i
		}
		for _, a := range []struct{ key, addr string }{
			{prefix + "peer_address", r.PeerAddress},
			{prefix + "client_address", r.ClientAddress},
		} {
			if err := checkHostPort(a.addr, false); err != nil {
				bad(a.key, strconv.Quote(a.addr), err.Error())
			} else if other, dup := addrs[a.addr]; dup {
				bad(a.key, strconv.Quote(a.addr), "already used by "+other)
			} else {
				addrs[a.addr] = a.key
			}
		}
	}
	if len(g.Clients) > MaxAllowlistClients {
		bad("clients", fmt.Sprintf("[%d keys]", len(g.Clients)), fmt.Sprintf("at most %d clients may be listed", MaxAllowlistClients))
	} else {
		seen := make(map[string]int, len(g.Clients))
		for i, k := range g.Clients {
			key := fmt.Sprintf("clients[%d]", i)
			if pub, err := crypto.DecodePublicKey(k); err != nil {
				bad(key, strconv.Quote(k), err.Error())
			} else if _, err := crypto.NewCommittee(nil, []crypto.PublicKey{pub}); err != nil {
				bad(key, strconv.Quote(k), "not a valid ed25519 public key")
			} else if j, dup := seen[string(pub)]; dup {
				bad(key, strconv.Quote(k), fmt.Sprintf("same key as clients[%d]", j))
			} else {
				seen[string(pub)] = i
			}
		}
	}
	return errors.Join(errs...)
}

// ClientKeys decodes the client allowlist (nil when the cluster is open).
func (g *Genesis) ClientKeys() ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for i, k := range g.Clients {
		pub, err := crypto.DecodePublicKey(k)
		if err != nil {
			return nil, fmt.Errorf("clients[%d]: %w", i, err)
		}
		keys = append(keys, pub)
	}
	return keys, nil
}

// PublicKeys decodes the replica keys in index order.
func (g *Genesis) PublicKeys() ([]crypto.PublicKey, error) {
	pubs := make([]crypto.PublicKey, len(g.Replicas))
	for i, r := range g.Replicas {
		pub, err := crypto.DecodePublicKey(r.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("replicas[%d].public_key: %w", i, err)
		}
		pubs[i] = pub
	}
	return pubs, nil
}

// Committee builds the verifier for the cluster's replica signatures.
func (g *Genesis) Committee() (*crypto.Committee, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	pubs, err := g.PublicKeys()
	if err != nil {
		return nil, err
	}
	return crypto.NewCommittee([]byte(g.ClusterID), pubs)
}

// IndexOf finds the replica holding pub.
func (g *Genesis) IndexOf(pub crypto.PublicKey) (int, bool) {
	enc := crypto.EncodeKey(pub)
	for i, r := range g.Replicas {
		if r.PublicKey == enc {
			return i, true
		}
	}
	return 0, false
}

// checkHostPort accepts "host:port" with a numeric port; port 0 only when
// zeroPortOK (a listener asking for any free port).
func checkHostPort(addr string, zeroPortOK bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("not a host:port address: %v", err)
	}
	if host == "" && !zeroPortOK {
		return errors.New("host is missing")
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return fmt.Errorf("port %q is not a number in 0..65535", port)
	}
	if p == 0 && !zeroPortOK {
		return errors.New("port must not be 0")
	}
	return nil
}
