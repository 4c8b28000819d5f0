package testnet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/pompe-bft/pompe/internal/config"
)

// Host is one line of a hosts file: where replicas run and, optionally,
// the region they run in.
type Host struct {
	// Address is a host name or IP address (IPv6 without brackets).
	Address string
	// PeerPort, when not 0, is the peer port of the first replica on this
	// host; the host's k-th replica listens on PeerPort+k. 0: the
	// testnet's BasePeerPort.
	PeerPort int
	// Region labels the host's location (for WAN emulation); may be empty.
	Region string
}

// Bounds of a hosts file.
const (
	MaxHostsFileBytes = 1 << 20
	MaxHosts          = MaxReplicas
	maxRegionBytes    = 64
)

// ReadHostsFile reads a hosts file; see ParseHosts.
func ReadHostsFile(path string) ([]Host, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("testnet: hosts: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxHostsFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("testnet: hosts: %s: %w", path, err)
	}
	if len(data) > MaxHostsFileBytes {
		return nil, fmt.Errorf("testnet: hosts: %s is larger than %d bytes", path, MaxHostsFileBytes)
	}
	hosts, err := ParseHosts(data)
	if err != nil {
		return nil, fmt.Errorf("testnet: hosts: %s: %w", path, err)
	}
	return hosts, nil
}

// ParseHosts parses hosts file text: one "host[:port] [region]" per line,
// '#' starts a comment, blank lines are skipped. An IPv6 address with a
// port is written in brackets ("[2001:db8::1]:26600"). The same host may
// appear once; put several replicas on it with Options.N.
func ParseHosts(data []byte) ([]Host, error) {
	var hosts []Host
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxHostsFileBytes)
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) > 2 {
			return nil, fmt.Errorf("line %d: %q: want \"host[:port] [region]\"", lineNo, strings.TrimSpace(line))
		}
		h, err := parseHostPort(fields[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		if len(fields) == 2 {
			if h.Region, err = checkRegion(fields[1]); err != nil {
				return nil, fmt.Errorf("line %d: %w", lineNo, err)
			}
		}
		key := net.JoinHostPort(h.Address, strconv.Itoa(h.PeerPort))
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("line %d: %s repeats line %d; list a host once and raise --nodes to run several replicas on it", lineNo, fields[0], prev)
		}
		seen[key] = lineNo
		if len(hosts) == MaxHosts {
			return nil, fmt.Errorf("line %d: more than %d hosts", lineNo, MaxHosts)
		}
		hosts = append(hosts, h)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(hosts) == 0 {
		return nil, errors.New("no hosts (one \"host[:port] [region]\" per line)")
	}
	return hosts, nil
}

func parseHostPort(s string) (Host, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		// No port: a bare name, IPv4 or IPv6 address.
		host, port = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), ""
	}
	if err := checkHostName(host); err != nil {
		return Host{}, fmt.Errorf("%q: %w", s, err)
	}
	h := Host{Address: host}
	if port != "" {
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil || p == 0 {
			return Host{}, fmt.Errorf("%q: port %q is not a number in 1..65535", s, port)
		}
		h.PeerPort = int(p)
	}
	return h, nil
}

// checkHostName accepts IP addresses and DNS names.
func checkHostName(host string) error {
	if host == "" {
		return errors.New("host is missing")
	}
	if net.ParseIP(host) != nil {
		return nil
	}
	if len(host) > 253 {
		return errors.New("host name longer than 253 bytes")
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q is neither an IP address nor a host name", host)
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return fmt.Errorf("%q is neither an IP address nor a host name", host)
			}
		}
	}
	return nil
}

func checkRegion(s string) (string, error) {
	if len(s) > maxRegionBytes {
		return "", fmt.Errorf("region %q is longer than %d bytes", s, maxRegionBytes)
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "", fmt.Errorf("region %q: use letters, digits, '-' and '_'", s)
		}
	}
	return s, nil
}

// Placement says where replica i runs: which host (index into Hosts) and
// its position among that host's replicas.
type Placement struct {
	Host, Slot int
}

// Place spreads n replicas over the hosts round robin, so consecutive
// replicas land on different hosts (and regions, when hosts alternate).
func Place(n, hosts int) []Placement {
	p := make([]Placement, n)
	for i := range n {
		p[i] = Placement{Host: i % hosts, Slot: i / hosts}
	}
	return p
}

// hostAddresses lays replicas out on o.Hosts.
func hostAddresses(o Options) (peer, client []string, err error) {
	peer = make([]string, o.N)
	client = make([]string, o.N)
	offset := o.BaseClientPort - o.BasePeerPort
	for i, pl := range Place(o.N, len(o.Hosts)) {
		h := o.Hosts[pl.Host]
		base := o.BasePeerPort
		if h.PeerPort != 0 {
			base = h.PeerPort
		}
		pp, cp := base+pl.Slot, base+offset+pl.Slot
		if pp > 65535 || cp < 1 || cp > 65535 {
			return nil, nil, fmt.Errorf("testnet: replica %d on %s: ports %d (peers) and %d (clients) are outside 1..65535", i, h.Address, pp, cp)
		}
		peer[i] = net.JoinHostPort(h.Address, strconv.Itoa(pp))
		client[i] = net.JoinHostPort(h.Address, strconv.Itoa(cp))
	}
	return peer, client, nil
}

// regionsOf returns each replica's region ("" when its host has none).
func regionsOf(o Options) []string {
	if len(o.Regions) > 0 {
		return o.Regions
	}
	if len(o.Hosts) == 0 {
		return nil
	}
	r := make([]string, o.N)
	for i, pl := range Place(o.N, len(o.Hosts)) {
		r[i] = o.Hosts[pl.Host].Region
	}
	return r
}

// listenAll makes a replica listen on every interface at its genesis
// ports: the genesis holds the address others dial, which on clouds is
// often not an address of the host itself.
func listenAll(c *config.Config, peerAddr, clientAddr string) {
	_, pp, _ := net.SplitHostPort(peerAddr)
	_, cp, _ := net.SplitHostPort(clientAddr)
	c.P2P.ListenPeer = net.JoinHostPort("0.0.0.0", pp)
	c.P2P.ListenClient = net.JoinHostPort("0.0.0.0", cp)
}
