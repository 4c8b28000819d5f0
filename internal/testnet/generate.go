package testnet

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
)

// Names inside OutDir.
const (
	SummaryFileName = "testnet.toml"
	ClientsDirName  = "clients"
)

// NodeDirName is replica i's home directory name.
func NodeDirName(i int) string { return "node" + strconv.Itoa(i) }

// ClientKeyFileName is client k's key file name inside the clients directory.
func ClientKeyFileName(k int) string { return "client" + strconv.Itoa(k) + ".toml" }

// Generate writes a testnet as described by opts.
func Generate(opts Options) error {
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return err
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if err := checkEmpty(o); err != nil {
		return err
	}
	if o.ClusterID == "" {
		id := make([]byte, 8)
		if _, err := io.ReadFull(o.Rand, id); err != nil {
			return fmt.Errorf("testnet: cluster id: %w", err)
		}
		o.ClusterID = "pompe-" + hex.EncodeToString(id)
	}
	peerAddrs, clientAddrs, err := addresses(o)
	if err != nil {
		return err
	}
	g := config.Genesis{ClusterID: o.ClusterID, Mode: o.Mode, Created: time.Now().UTC().Truncate(time.Second)}
	keys := make([]crypto.PrivateKey, o.N)
	for i := range o.N {
		k, err := crypto.GenerateKey(o.Rand)
		if err != nil {
			return fmt.Errorf("testnet: key of replica %d: %w", i, err)
		}
		keys[i] = k
		g.Replicas = append(g.Replicas, config.ReplicaInfo{
			Index:         i,
			PublicKey:     crypto.EncodeKey(k.Public()),
			PeerAddress:   peerAddrs[i],
			ClientAddress: clientAddrs[i],
		})
	}
	// Client keys come after the replicas' from the same stream, as they
	// always did, so a fixed Rand still makes the same testnet.
	clients, err := writeClients(o)
	if err != nil {
		return err
	}
	if o.Allowlist {
		for _, c := range clients {
			g.Clients = append(g.Clients, c.PublicKey)
		}
	}
	if err := g.Validate(); err != nil {
		return fmt.Errorf("testnet: genesis: %w", err)
	}
	for i := range o.N {
		c := config.Default()
		if len(o.Hosts) == 0 {
			oneHostClients(&c, o.Clients)
		}
		if o.Override != nil {
			o.Override(&c)
		}
		if o.ListenAll {
			listenAll(&c, peerAddrs[i], clientAddrs[i])
		}
		if o.OverrideReplica != nil {
			o.OverrideReplica(i, &c)
		}
		if err := config.WriteHome(filepath.Join(o.OutDir, NodeDirName(i)), c, g, keys[i]); err != nil {
			return fmt.Errorf("testnet: replica %d: %w", i, err)
		}
	}
	return writeSummary(o.OutDir, g, clients, regionsOf(o))
}

// checkEmpty refuses to mix a new testnet with an old one.
func checkEmpty(o Options) error {
	for _, name := range []string{SummaryFileName, NodeDirName(0), ClientsDirName} {
		if _, err := os.Lstat(filepath.Join(o.OutDir, name)); err == nil {
			return fmt.Errorf("testnet: %s already holds a testnet (%s exists)", o.OutDir, name)
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("testnet: %w", err)
		}
	}
	return os.MkdirAll(o.OutDir, 0o755)
}

func replicaIP(o Options, i int) string {
	if o.DistinctIPs {
		return "127.0.0." + strconv.Itoa(i+1)
	}
	return o.BaseIP
}

func addresses(o Options) (peer, client []string, err error) {
	if len(o.Hosts) > 0 {
		return hostAddresses(o)
	}
	peer = make([]string, o.N)
	client = make([]string, o.N)
	if !o.FreePorts {
		for i := range o.N {
			ip := replicaIP(o, i)
			peer[i] = net.JoinHostPort(ip, strconv.Itoa(o.BasePeerPort+i))
			client[i] = net.JoinHostPort(ip, strconv.Itoa(o.BaseClientPort+i))
		}
		return peer, client, nil
	}
	// Every port of the run comes from one allocator that holds it; the
	// caller's (Options.Ports) keeps holding them until it starts each
	// replica, a private one releases them when the testnet is written.
	ports := o.Ports
	if ports == nil {
		if ports, err = NewPorts(); err != nil {
			return nil, nil, err
		}
		defer ports.Close()
	}
	for i := range o.N {
		ip := replicaIP(o, i)
		if peer[i], err = ports.Take(ip); err != nil {
			return nil, nil, err
		}
		if client[i], err = ports.Take(ip); err != nil {
			return nil, nil, err
		}
	}
	return peer, client, nil
}

func writeClients(o Options) ([]ClientInfo, error) {
	if o.Clients == 0 {
		return nil, nil
	}
	dir := filepath.Join(o.OutDir, ClientsDirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	clients := make([]ClientInfo, o.Clients)
	for k := range o.Clients {
		key, err := crypto.GenerateKey(o.Rand)
		if err != nil {
			return nil, fmt.Errorf("testnet: key of client %d: %w", k, err)
		}
		rel := filepath.Join(ClientsDirName, ClientKeyFileName(k))
		if err := config.WriteKeyFile(filepath.Join(o.OutDir, rel), key, fmt.Sprintf("Key of client %d.", k)); err != nil {
			return nil, fmt.Errorf("testnet: %w", err)
		}
		clients[k] = ClientInfo{
			Index:     k,
			KeyFile:   rel,
			PublicKey: crypto.EncodeKey(key.Public()),
			ClientID:  crypto.ClientIDOf(key.Public()).String(),
		}
	}
	return clients, nil
}

// oneHostClients lets a loopback testnet's clients, which all connect from
// this host's address, hold their connections: the per-address caps of
// client connections (p2p.max_clients_per_ip and _per_prefix) are raised to
// four connections per client (a client keeps one per replica, and
// briefly more while it reconnects) when that is above the defaults.
func oneHostClients(c *config.Config, clients int) {
	need := min(4*clients, c.P2P.MaxClients)
	c.P2P.MaxClientsPerIP = max(c.P2P.MaxClientsPerIP, need)
	c.P2P.MaxClientsPerPrefix = max(c.P2P.MaxClientsPerPrefix, need)
}
