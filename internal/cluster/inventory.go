package cluster

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// Bounds of an inventory.
const (
	MaxInventoryBytes = 1 << 20
	MaxHosts          = 1024
	DefaultSSHPort    = 22
	DefaultTimeout    = 15 * time.Second
)

// SSH holds login settings; a host's own settings override the defaults.
type SSH struct {
	User string `toml:"user"`
	Port int    `toml:"port"`
	// Key is a private key file (unencrypted). Empty: the SSH agent at
	// $SSH_AUTH_SOCK.
	Key string `toml:"key"`
}

// Host is one machine of the inventory.
type Host struct {
	// Address is the SSH address, "host" or "host:port".
	Address string `toml:"address"`
	SSH     SSH    `toml:"ssh"`
	// Replicas lists the replica indexes this host runs. Empty: every
	// replica whose genesis address is on Address's host.
	Replicas []int `toml:"replicas"`
	// Clients is the number of load clients this host runs (client hosts).
	Clients int `toml:"clients"`
	// RemoteDir overrides the inventory's remote_dir on this host.
	RemoteDir string `toml:"remote_dir"`
}

// Bench sets the load of `cluster bench`.
type Bench struct {
	Duration config.Duration `toml:"duration"`
	Batch    int             `toml:"batch"`
	Inflight int             `toml:"inflight"`
	Payload  int             `toml:"payload"`
	Rate     float64         `toml:"rate"`
}

// Inventory describes where a testnet runs. Relative local paths are
// relative to the inventory file.
type Inventory struct {
	// Testnet is the directory `pompe testnet --hosts` wrote.
	Testnet string `toml:"testnet"`
	// RemoteDir holds everything on every host (absolute, or relative to
	// the login directory).
	RemoteDir string `toml:"remote_dir"`
	// Results receives collected logs and reports, one directory per run.
	Results string `toml:"results"`
	// Binary is the pompe binary to copy (default: the running one). It
	// must be built for the hosts' OS and architecture.
	Binary string `toml:"binary"`
	// KnownHosts is the known_hosts file that host keys are checked
	// against (default ~/.ssh/known_hosts).
	KnownHosts string `toml:"known_hosts"`
	// InsecureIgnoreHostKey accepts any host key. Only for throw-away
	// test machines: it lets anyone on the path impersonate a host.
	InsecureIgnoreHostKey bool            `toml:"insecure_ignore_host_key"`
	ConnectTimeout        config.Duration `toml:"connect_timeout"`
	// StopGrace is how long replicas get to exit after SIGTERM.
	StopGrace    config.Duration `toml:"stop_grace"`
	SSH          SSH             `toml:"ssh"`
	ReplicaHosts []Host          `toml:"replica_hosts"`
	ClientHosts  []Host          `toml:"client_hosts"`
	Bench        Bench           `toml:"bench"`

	// Filled by Load.
	dir     string
	cluster *testnet.ClusterInfo
}

// Load reads an inventory file and the testnet it names, and checks that
// every replica runs on exactly one host and the client hosts do not use
// more client keys than the testnet has.
func Load(path string) (*Inventory, error) {
	data, err := readBounded(path, MaxInventoryBytes)
	if err != nil {
		return nil, fmt.Errorf("cluster: inventory: %w", err)
	}
	inv, err := Parse(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("cluster: inventory %s: %w", path, err)
	}
	return inv, nil
}

// Parse decodes inventory text; relative paths are taken from dir.
func Parse(data []byte, dir string) (*Inventory, error) {
	if len(data) > MaxInventoryBytes {
		return nil, fmt.Errorf("inventory of %d bytes, at most %d", len(data), MaxInventoryBytes)
	}
	if err := config.CheckTOML(data); err != nil {
		return nil, err
	}
	inv := &Inventory{}
	md, err := toml.Decode(string(data), inv)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "toml: "))
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("unknown key %s", und[0])
	}
	inv.dir = dir
	if err := inv.defaults(); err != nil {
		return nil, err
	}
	if err := inv.validate(); err != nil {
		return nil, err
	}
	ci, err := testnet.LoadClusterInfo(inv.Testnet)
	if err != nil {
		return nil, err
	}
	inv.cluster = ci
	if err := inv.assignReplicas(); err != nil {
		return nil, err
	}
	return inv, nil
}

func (inv *Inventory) local(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return filepath.Join(inv.dir, p)
}

func (inv *Inventory) defaults() error {
	if inv.Results == "" {
		inv.Results = "results"
	}
	if inv.KnownHosts == "" && !inv.InsecureIgnoreHostKey {
		inv.KnownHosts = "~/.ssh/known_hosts"
	}
	inv.Testnet, inv.Results, inv.Binary, inv.KnownHosts = inv.local(inv.Testnet), inv.local(inv.Results), inv.local(inv.Binary), inv.local(inv.KnownHosts)
	if inv.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("binary: not set and the running binary is unknown: %w", err)
		}
		inv.Binary = exe
	}
	if inv.SSH.Port == 0 {
		inv.SSH.Port = DefaultSSHPort
	}
	if inv.SSH.User == "" {
		inv.SSH.User = os.Getenv("USER")
	}
	inv.SSH.Key = inv.local(inv.SSH.Key)
	if inv.ConnectTimeout == 0 {
		inv.ConnectTimeout = config.Duration(DefaultTimeout)
	}
	if inv.StopGrace == 0 {
		inv.StopGrace = config.Duration(10 * time.Second)
	}
	b := &inv.Bench
	if b.Duration == 0 {
		b.Duration = config.Duration(30 * time.Second)
	}
	for _, v := range []*int{&b.Batch, &b.Inflight} {
		if *v == 0 {
			*v = 1
		}
	}
	if b.Payload == 0 {
		b.Payload = 64
	}
	for _, hosts := range [][]Host{inv.ReplicaHosts, inv.ClientHosts} {
		for i := range hosts {
			h := &hosts[i]
			if h.SSH.User == "" {
				h.SSH.User = inv.SSH.User
			}
			if h.RemoteDir == "" {
				h.RemoteDir = inv.RemoteDir
			}
			if h.SSH.Port == 0 {
				h.SSH.Port = inv.SSH.Port
			}
			if h.SSH.Key == "" {
				h.SSH.Key = inv.SSH.Key
			} else {
				h.SSH.Key = inv.local(h.SSH.Key)
			}
		}
	}
	return nil
}

func (inv *Inventory) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if inv.Testnet == "" {
		bad("testnet: the directory written by `pompe testnet --hosts` is required")
	}
	if len(inv.ReplicaHosts) == 0 {
		bad("replica_hosts: at least one [[replica_hosts]] entry is needed")
	}
	if len(inv.ReplicaHosts)+len(inv.ClientHosts) > MaxHosts {
		bad("more than %d hosts", MaxHosts)
	}
	if inv.ConnectTimeout < 0 || inv.StopGrace < 0 {
		bad("connect_timeout and stop_grace must not be negative")
	}
	seen := map[string]string{}
	for _, g := range []struct {
		name  string
		hosts []Host
	}{{"replica_hosts", inv.ReplicaHosts}, {"client_hosts", inv.ClientHosts}} {
		for i, h := range g.hosts {
			key := fmt.Sprintf("%s[%d]", g.name, i)
			if _, _, err := splitAddress(h.Address, h.SSH.Port); err != nil {
				bad("%s.address = %q: %v", key, h.Address, err)
			}
			if err := checkRemoteDir(h.RemoteDir); err != nil {
				bad("%s: remote_dir = %q: %v", key, h.RemoteDir, err)
			}
			if h.SSH.Port < 1 || h.SSH.Port > 65535 {
				bad("%s: ssh port %d: want 1..65535", key, h.SSH.Port)
			}
			if h.SSH.User == "" {
				bad("%s: no ssh user (set [ssh] user)", key)
			}
			if prev, dup := seen[g.name+h.Address]; dup {
				bad("%s.address = %q: already listed as %s", key, h.Address, prev)
			}
			seen[g.name+h.Address] = key
			if g.name == "client_hosts" {
				if h.Clients < 1 {
					bad("%s.clients = %d: want at least 1", key, h.Clients)
				}
				if len(h.Replicas) > 0 {
					bad("%s.replicas: client hosts run no replicas; list the host under [[replica_hosts]] too", key)
				}
			} else if h.Clients != 0 {
				bad("%s.clients: replica hosts run no clients; list the host under [[client_hosts]] too", key)
			}
		}
	}
	b := inv.Bench
	if b.Duration <= 0 || b.Batch < 1 || b.Inflight < 1 || b.Payload < 1 || b.Rate < 0 {
		bad("bench: duration, batch, inflight and payload must be positive and rate not negative")
	}
	return errors.Join(errs...)
}

// checkRemoteDir refuses directories that `clean` must never remove.
func checkRemoteDir(d string) error {
	if d == "" {
		return errors.New("required")
	}
	if strings.ContainsAny(d, "\n\x00") {
		return errors.New("contains a newline or NUL")
	}
	if strings.HasPrefix(d, "~") {
		return errors.New("write a path relative to the login directory instead of ~")
	}
	c := path.Clean(d)
	if c == "/" || c == "." || c == ".." || c == "~" || strings.HasPrefix(c, "../") || strings.Count(strings.Trim(c, "/"), "/") == 0 && path.IsAbs(c) {
		return errors.New("too broad: use a directory of its own, like /opt/pompe or pompe-run")
	}
	return nil
}

// assignReplicas fills empty Replicas lists from the genesis addresses
// and checks that every replica has exactly one host.
func (inv *Inventory) assignReplicas() error {
	g := inv.cluster.Genesis
	owner := make([]int, g.N())
	for i := range owner {
		owner[i] = -1
	}
	for hi := range inv.ReplicaHosts {
		h := &inv.ReplicaHosts[hi]
		sshHost, _, _ := splitAddress(h.Address, h.SSH.Port)
		if len(h.Replicas) == 0 {
			for i, r := range g.Replicas {
				if host, _, err := net.SplitHostPort(r.PeerAddress); err == nil && host == sshHost {
					h.Replicas = append(h.Replicas, i)
				}
			}
			if len(h.Replicas) == 0 {
				return fmt.Errorf("replica_hosts[%d] (%s): no replica of the testnet has this address; list its replicas = [...]", hi, h.Address)
			}
		}
		for _, i := range h.Replicas {
			if i < 0 || i >= g.N() {
				return fmt.Errorf("replica_hosts[%d] (%s): replica %d: the testnet has replicas 0..%d", hi, h.Address, i, g.N()-1)
			}
			if owner[i] >= 0 {
				return fmt.Errorf("replica %d is listed on both %s and %s", i, inv.ReplicaHosts[owner[i]].Address, h.Address)
			}
			owner[i] = hi
		}
		slices.Sort(h.Replicas)
	}
	for i, o := range owner {
		if o < 0 {
			return fmt.Errorf("replica %d (%s) runs on no replica host", i, g.Replicas[i].PeerAddress)
		}
	}
	total := 0
	for _, h := range inv.ClientHosts {
		total += h.Clients
	}
	if total > len(inv.cluster.ClientKeyFiles) {
		return fmt.Errorf("client_hosts run %d clients but the testnet has %d client keys (pompe testnet --clients N)", total, len(inv.cluster.ClientKeyFiles))
	}
	return nil
}

// Cluster is the loaded testnet.
func (inv *Inventory) Cluster() *testnet.ClusterInfo { return inv.cluster }

// ClientOffset is the first client key index client host i uses.
func (inv *Inventory) ClientOffset(i int) int {
	off := 0
	for _, h := range inv.ClientHosts[:i] {
		off += h.Clients
	}
	return off
}

// splitAddress returns the host and SSH port of "host" or "host:port".
func splitAddress(addr string, defaultPort int) (string, int, error) {
	if addr == "" {
		return "", 0, errors.New("empty")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return strings.Trim(addr, "[]"), defaultPort, nil
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 || host == "" {
		return "", 0, fmt.Errorf("not host[:port]")
	}
	return host, int(p), nil
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	buf := make([]byte, st.Size())
	_, err = f.ReadAt(buf, 0)
	if err != nil && st.Size() > 0 {
		return nil, err
	}
	return buf, nil
}
