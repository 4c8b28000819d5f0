package testnet

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
)

// ClientInfo is one client of a testnet.
type ClientInfo struct {
	Index     int    `toml:"index"`
	KeyFile   string `toml:"key_file"` // relative to the testnet directory
	PublicKey string `toml:"public_key"`
	ClientID  string `toml:"client_id"`
}

// summaryReplica is a genesis entry plus where its home directory is.
type summaryReplica struct {
	config.ReplicaInfo
	Home   string `toml:"home"`             // relative to the testnet directory
	Region string `toml:"region,omitempty"` // from the hosts file
}

// summary is the layout of testnet.toml.
type summary struct {
	ClusterID string           `toml:"cluster_id"`
	Mode      config.Mode      `toml:"mode"`
	Created   time.Time        `toml:"created"`
	Replicas  []summaryReplica `toml:"replicas"`
	Clients   []ClientInfo     `toml:"clients"`
}

func writeSummary(dir string, g config.Genesis, clients []ClientInfo, regions []string) error {
	s := summary{ClusterID: g.ClusterID, Mode: g.Mode, Created: g.Created, Clients: clients}
	for i, r := range g.Replicas {
		sr := summaryReplica{ReplicaInfo: r, Home: NodeDirName(i)}
		if i < len(regions) {
			sr.Region = regions[i]
		}
		s.Replicas = append(s.Replicas, sr)
	}
	var b bytes.Buffer
	b.WriteString("# Testnet summary: the cluster's replicas (as in every genesis.toml), their\n" +
		"# home directories and the client key files, relative to this directory.\n\n")
	if err := toml.NewEncoder(&b).Encode(s); err != nil {
		return fmt.Errorf("testnet: encode summary: %w", err)
	}
	path := filepath.Join(dir, SummaryFileName)
	if b.Len() > MaxSummaryBytes {
		return fmt.Errorf("testnet: %s would be %d bytes, larger than the %d allowed", path, b.Len(), MaxSummaryBytes)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	return nil
}

// ClusterInfo is what a client or benchmark needs to reach a testnet.
type ClusterInfo struct {
	Dir     string
	Genesis config.Genesis
	// Homes[i] is replica i's home directory.
	Homes []string
	// Regions[i] is replica i's region label ("" when none was given).
	Regions []string
	// ClientKeyFiles[k] is client k's key file.
	ClientKeyFiles []string
	Clients        []ClientInfo
}

// LoadClusterInfo reads dir/testnet.toml. Paths in the result are joined to
// dir.
func LoadClusterInfo(dir string) (*ClusterInfo, error) {
	path := filepath.Join(dir, SummaryFileName)
	data, err := readSummary(path)
	if err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	if err := config.CheckTOML(data); err != nil {
		return nil, fmt.Errorf("testnet: %s: %w", path, err)
	}
	var s summary
	md, err := toml.Decode(string(data), &s)
	if err != nil {
		return nil, fmt.Errorf("testnet: %s: %s", path, strings.TrimPrefix(err.Error(), "toml: "))
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("testnet: %s: unknown key %s", path, und[0])
	}
	ci := &ClusterInfo{Dir: dir, Genesis: config.Genesis{ClusterID: s.ClusterID, Mode: s.Mode, Created: s.Created}}
	for _, r := range s.Replicas {
		ci.Genesis.Replicas = append(ci.Genesis.Replicas, r.ReplicaInfo)
		ci.Homes = append(ci.Homes, filepath.Join(dir, r.Home))
		ci.Regions = append(ci.Regions, r.Region)
	}
	if err := ci.Genesis.Validate(); err != nil {
		return nil, fmt.Errorf("testnet: %s: %w", path, err)
	}
	for k, c := range s.Clients {
		if c.Index != k {
			return nil, fmt.Errorf("testnet: %s: clients[%d].index = %d: clients must be listed in index order", path, k, c.Index)
		}
		if c.KeyFile == "" {
			return nil, fmt.Errorf("testnet: %s: clients[%d].key_file is empty", path, k)
		}
		ci.ClientKeyFiles = append(ci.ClientKeyFiles, filepath.Join(dir, c.KeyFile))
	}
	ci.Clients = s.Clients
	return ci, nil
}

// MaxSummaryBytes bounds testnet.toml: about 280 B per replica (with
// Kubernetes DNS names) and 180 B per client, so 100 replicas and
// MaxClients clients need about 1.8 MB.
const MaxSummaryBytes = 4 << 20

func readSummary(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSummaryBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSummaryBytes {
		return nil, fmt.Errorf("%s is larger than the %d bytes allowed", path, MaxSummaryBytes)
	}
	return data, nil
}

// ClientKey loads client k's private key.
func (ci *ClusterInfo) ClientKey(k int) (crypto.PrivateKey, error) {
	if k < 0 || k >= len(ci.ClientKeyFiles) {
		return crypto.PrivateKey{}, fmt.Errorf("testnet: no client %d (the testnet has %d)", k, len(ci.ClientKeyFiles))
	}
	return config.ReadKeyFile(ci.ClientKeyFiles[k])
}
