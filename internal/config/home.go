package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// File and directory names inside a home directory.
const (
	ConfigDirName   = "config"
	ConfigFileName  = "config.toml"
	GenesisFileName = "genesis.toml"
	NodeKeyFileName = "node_key.toml"
)

// Paths locates the files of a home directory.
type Paths struct {
	Home    string
	Config  string
	Genesis string
	NodeKey string
}

// PathsOf returns the file locations under home.
func PathsOf(home string) Paths {
	dir := filepath.Join(home, ConfigDirName)
	return Paths{
		Home:    home,
		Config:  filepath.Join(dir, ConfigFileName),
		Genesis: filepath.Join(dir, GenesisFileName),
		NodeKey: filepath.Join(dir, NodeKeyFileName),
	}
}

// ErrNotAHome is wrapped by CheckHome's errors.
var ErrNotAHome = errors.New("not a replica home")

// homeHelp says what a home is and how to make one.
const homeHelp = "a home is one replica's directory, holding config/config.toml, config/genesis.toml and " +
	"config/node_key.toml (and its store under data/); 'pompe testnet --out DIR' makes one per replica, DIR/node0, DIR/node1, ..."

// CheckHome tells a directory that is not a replica's home apart from a
// home with a broken file, so that a wrong --home gets an explanation
// rather than a missing genesis.toml: it refuses a path that does not
// exist, is not a directory, is a testnet's directory, or has no config/
// directory. The files themselves are checked when they are read.
func CheckHome(home string) error {
	st, err := os.Stat(home)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: %s does not exist; %s", ErrNotAHome, home, homeHelp)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%w: %s is a file; %s", ErrNotAHome, home, homeHelp)
	}
	if _, err := os.Stat(PathsOf(filepath.Join(home, "node0")).Genesis); err == nil {
		return fmt.Errorf("%w: %s is a testnet's directory, which holds the homes of all its replicas; "+
			"start each replica on its own home: --home %s", ErrNotAHome, home, filepath.Join(home, "node0"))
	}
	if st, err := os.Stat(filepath.Join(home, ConfigDirName)); err != nil || !st.IsDir() {
		return fmt.Errorf("%w: %s has no %s directory; %s", ErrNotAHome, home, ConfigDirName, homeHelp)
	}
	return nil
}

// Home is a loaded, checked replica home directory.
type Home struct {
	Paths   Paths
	Config  Config // listen addresses already filled in from genesis
	Genesis Genesis
	Key     crypto.PrivateKey
	Index   int // this replica's index in Genesis.Replicas
}

// DataDir is the store directory.
func (h *Home) DataDir() string {
	if filepath.IsAbs(h.Config.Node.DataDir) {
		return h.Config.Node.DataDir
	}
	return filepath.Join(h.Paths.Home, h.Config.Node.DataDir)
}

// Self is this replica's genesis entry.
func (h *Home) Self() ReplicaInfo { return h.Genesis.Replicas[h.Index] }

// Committee builds the cluster's signature verifier.
func (h *Home) Committee() (*crypto.Committee, error) { return h.Genesis.Committee() }

// Load reads and cross-checks a home directory. Every error names the file
// at fault.
func Load(home string) (*Home, error) {
	if err := CheckHome(home); err != nil {
		return nil, err
	}
	p := PathsOf(home)
	g, err := ReadGenesis(p.Genesis)
	if err != nil {
		return nil, err
	}
	c, err := ReadConfig(p.Config)
	if err != nil {
		return nil, err
	}
	key, err := ReadKeyFile(p.NodeKey)
	if err != nil {
		return nil, err
	}
	self, ok := g.IndexOf(key.Public())
	if !ok {
		return nil, fmt.Errorf("%s: the key's public key %s is not a replica of %s", p.NodeKey, crypto.EncodeKey(key.Public()), p.Genesis)
	}
	if err := c.validateAgainst(&g, self); err != nil {
		return nil, fmt.Errorf("%s: %w", p.Config, err)
	}
	if c.P2P.ListenPeer == "" {
		c.P2P.ListenPeer = g.Replicas[self].PeerAddress
	}
	if c.P2P.ListenClient == "" {
		c.P2P.ListenClient = g.Replicas[self].ClientAddress
	}
	return &Home{Paths: p, Config: c, Genesis: g, Key: key, Index: self}, nil
}

// ParseConfig decodes config.toml text. Keys it leaves out take Default();
// a link under [emulation.links] inherits each key it leaves out from
// [emulation].
func ParseConfig(data []byte) (Config, error) {
	c := Default()
	md, err := decodeStrict(data, &c, MaxConfigBytes)
	if err != nil {
		return Config{}, err
	}
	for k, l := range c.Emulation.Links {
		if !md.IsDefined("emulation", "links", k, "delay") {
			l.Delay = c.Emulation.Delay
		}
		if !md.IsDefined("emulation", "links", k, "jitter") {
			l.Jitter = c.Emulation.Jitter
		}
		if !md.IsDefined("emulation", "links", k, "loss") {
			l.Loss = c.Emulation.Loss
		}
		c.Emulation.Links[k] = l
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// ReadConfig reads and validates a config.toml.
func ReadConfig(path string) (Config, error) {
	data, err := readBounded(path, MaxConfigBytes)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// EncodeConfig renders c as a config.toml with every key documented.
func EncodeConfig(c Config) ([]byte, error) {
	return encodeDocumented("Replica settings. Every key may be left out to take its default.", c)
}

// WriteConfig validates c and writes it to path.
func WriteConfig(path string, c Config) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	data, err := EncodeConfig(c)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxConfigBytes {
		return fmt.Errorf("%s: %d bytes, larger than the %d a replica reads", path, len(data), MaxConfigBytes)
	}
	if err := writeFileAtomic(path, data, 0o644, false); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ParseGenesis decodes and validates genesis.toml text.
func ParseGenesis(data []byte) (Genesis, error) {
	var g Genesis
	if _, err := decodeStrict(data, &g, MaxGenesisBytes); err != nil {
		return Genesis{}, err
	}
	if err := g.Validate(); err != nil {
		return Genesis{}, err
	}
	return g, nil
}

// ReadGenesis reads and validates a genesis.toml.
func ReadGenesis(path string) (Genesis, error) {
	data, err := readBounded(path, MaxGenesisBytes)
	if err != nil {
		return Genesis{}, fmt.Errorf("%s: %w", path, err)
	}
	g, err := ParseGenesis(data)
	if err != nil {
		return Genesis{}, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// EncodeGenesis renders g as genesis.toml.
func EncodeGenesis(g Genesis) ([]byte, error) {
	g.Created = g.Created.UTC().Truncate(time.Second)
	return encodeWithHeader("Cluster definition. Identical on every replica; do not edit one copy alone.", g)
}

// WriteGenesis validates g and writes it to path.
func WriteGenesis(path string, g Genesis) error {
	if err := g.Validate(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	data, err := EncodeGenesis(g)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxGenesisBytes {
		return fmt.Errorf("%s: %d bytes for %d replicas, larger than the %d a replica reads", path, len(data), g.N(), MaxGenesisBytes)
	}
	if err := writeFileAtomic(path, data, 0o644, false); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteHome lays out a new home directory: config/ with the three files and
// an empty data directory. It refuses to replace an existing node key.
func WriteHome(home string, c Config, g Genesis, key crypto.PrivateKey) error {
	p := PathsOf(home)
	self, ok := g.IndexOf(key.Public())
	if !ok {
		return errors.New("config: the node key is not a replica of the genesis")
	}
	if err := c.validateAgainst(&g, self); err != nil {
		return fmt.Errorf("%s: %w", p.Config, err)
	}
	if err := os.MkdirAll(filepath.Dir(p.Config), 0o755); err != nil {
		return err
	}
	if err := WriteKeyFile(p.NodeKey, key, fmt.Sprintf("Node key of replica %d of cluster %s.", self, g.ClusterID)); err != nil {
		return err
	}
	if err := WriteGenesis(p.Genesis, g); err != nil {
		return err
	}
	if err := WriteConfig(p.Config, c); err != nil {
		return err
	}
	h := Home{Paths: p, Config: c}
	return os.MkdirAll(h.DataDir(), 0o700)
}
