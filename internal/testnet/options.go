package testnet

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
)

// Options describes the cluster to generate.
type Options struct {
	// OutDir receives node0..node{N-1}, clients/ and testnet.toml. It may
	// exist but must not already hold a testnet.
	OutDir string
	// N is the number of replicas (default 4).
	N int
	// Clients is the number of client key files to write.
	Clients int
	// Allowlist lists the Clients' keys in the genesis client allowlist:
	// the cluster then admits those clients only.
	Allowlist bool
	// Mode is the protocol (default pompe).
	Mode config.Mode
	// ClusterID names the cluster (default random).
	ClusterID string

	// BaseIP is every replica's IP (default 127.0.0.1) unless DistinctIPs
	// gives replica i 127.0.0.(i+1). Only loopback addresses are accepted.
	BaseIP      string
	DistinctIPs bool
	// Replica i listens on BasePeerPort+i for replicas and BaseClientPort+i
	// for clients (defaults 26600 and 26700), unless FreePorts picks free
	// ports below the ephemeral range (see Ports).
	BasePeerPort   int
	BaseClientPort int
	FreePorts      bool
	// Ports, with FreePorts, is the run's port allocator: the testnet's
	// ports come from it and stay held (see Ports) for the caller to
	// release as it starts each replica. Without it, FreePorts uses a
	// private allocator and releases the ports once the testnet is written.
	Ports *Ports

	// Rand supplies keys and the cluster id (default crypto/rand); a fixed
	// stream makes a reproducible testnet.
	Rand io.Reader

	// Hosts, when set, places replicas on these hosts instead of loopback
	// (round robin, see Place; several replicas per host when N exceeds
	// len(Hosts)); N defaults to len(Hosts). The k-th replica on a host
	// listens on its PeerPort (or BasePeerPort) + k for replicas and on
	// that + (BaseClientPort - BasePeerPort) for clients. DistinctIPs,
	// BaseIP and FreePorts do not apply.
	Hosts []Host
	// Regions, when set, is replica i's region label in testnet.toml
	// (default: its host's label).
	Regions []string
	// ListenAll makes replicas listen on 0.0.0.0 at their ports rather
	// than on their genesis address (hosts behind NAT, containers).
	ListenAll bool
	// Override edits every replica's config before it is written;
	// OverrideReplica then edits replica index's.
	Override        func(c *config.Config)
	OverrideReplica func(index int, c *config.Config)
}

// Defaults for zero Options fields.
const (
	DefaultN              = 4
	DefaultBaseIP         = "127.0.0.1"
	DefaultBasePeerPort   = 26600
	DefaultBaseClientPort = 26700
	// MaxReplicas bounds N; DistinctIPs allows at most 254.
	MaxReplicas = 1024
	// MaxClients bounds Clients, so that testnet.toml stays under
	// MaxSummaryBytes.
	MaxClients = 10_000
)

func (o Options) withDefaults() Options {
	if o.N == 0 && len(o.Hosts) > 0 {
		o.N = len(o.Hosts)
	}
	if o.N == 0 {
		o.N = DefaultN
	}
	if o.Mode == "" {
		o.Mode = config.ModePompe
	}
	if o.BaseIP == "" {
		o.BaseIP = DefaultBaseIP
	}
	if o.BasePeerPort == 0 {
		o.BasePeerPort = DefaultBasePeerPort
	}
	if o.BaseClientPort == 0 {
		o.BaseClientPort = DefaultBaseClientPort
	}
	return o
}

func (o Options) validate() error {
	if o.OutDir == "" {
		return errors.New("testnet: OutDir is empty")
	}
	if o.N < 1 || o.N > MaxReplicas {
		return fmt.Errorf("testnet: N = %d, want 1..%d", o.N, MaxReplicas)
	}
	if _, err := crypto.FaultsTolerated(o.N); err != nil {
		return fmt.Errorf("testnet: %d replicas: %w", o.N, err)
	}
	if o.Clients < 0 || o.Clients > MaxClients {
		return fmt.Errorf("testnet: Clients = %d, want 0..%d", o.Clients, MaxClients)
	}
	if !o.Mode.Valid() {
		return fmt.Errorf("testnet: Mode = %q, want %q or %q", o.Mode, config.ModePompe, config.ModeHotStuff)
	}
	if len(o.Regions) > 0 && len(o.Regions) != o.N {
		return fmt.Errorf("testnet: %d regions for %d replicas", len(o.Regions), o.N)
	}
	if len(o.Hosts) > 0 {
		return o.validateHosts()
	}
	if o.DistinctIPs {
		if o.N > 254 {
			return fmt.Errorf("testnet: DistinctIPs gives each replica 127.0.0.(i+1); N = %d exceeds 254", o.N)
		}
	} else if ip := net.ParseIP(o.BaseIP); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("testnet: BaseIP = %q is not a loopback address", o.BaseIP)
	}
	if o.FreePorts {
		return nil
	}
	for _, p := range []struct {
		name string
		base int
	}{{"BasePeerPort", o.BasePeerPort}, {"BaseClientPort", o.BaseClientPort}} {
		if p.base < 1 || p.base+o.N-1 > 65535 {
			return fmt.Errorf("testnet: %s = %d leaves no room for %d ports below 65536", p.name, p.base, o.N)
		}
	}
	lo, hi := o.BasePeerPort, o.BaseClientPort
	if lo > hi {
		lo, hi = hi, lo
	}
	if hi < lo+o.N {
		return fmt.Errorf("testnet: peer ports %d.. and client ports %d.. overlap for %d replicas", o.BasePeerPort, o.BaseClientPort, o.N)
	}
	return nil
}

func (o Options) validateHosts() error {
	if o.DistinctIPs || o.FreePorts {
		return errors.New("testnet: Hosts excludes DistinctIPs and FreePorts")
	}
	if len(o.Hosts) > MaxHosts {
		return fmt.Errorf("testnet: %d hosts, at most %d", len(o.Hosts), MaxHosts)
	}
	if o.BasePeerPort < 1 || o.BasePeerPort > 65535 || o.BaseClientPort < 1 || o.BaseClientPort > 65535 {
		return fmt.Errorf("testnet: base ports %d and %d: want 1..65535", o.BasePeerPort, o.BaseClientPort)
	}
	perHost := (o.N + len(o.Hosts) - 1) / len(o.Hosts)
	gap := o.BaseClientPort - o.BasePeerPort
	if gap < 0 {
		gap = -gap
	}
	if gap < perHost {
		return fmt.Errorf("testnet: peer ports %d.. and client ports %d.. overlap for %d replicas per host", o.BasePeerPort, o.BaseClientPort, perHost)
	}
	for _, h := range o.Hosts {
		if err := checkHostName(h.Address); err != nil {
			return fmt.Errorf("testnet: host %q: %w", h.Address, err)
		}
	}
	return nil
}
