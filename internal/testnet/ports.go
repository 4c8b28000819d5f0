package testnet

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Ports hands out the TCP ports of one run from a single place, so that no
// two addresses of the run share a port (a replica's fault-control
// listener was once given its client port), and holds each port, by
// listening on it, until the caller releases it just before the process
// that binds it starts.
//
// Ports come from a range below the system's ephemeral range: the kernel
// never picks those for an outgoing connection or a listener on port 0, so
// between the release and the replica's bind only another process naming
// the port explicitly could take it. Each port is verified free by binding
// it; one in use is skipped. The run's ports are consecutive from a random
// start, so concurrent runs rarely even try the same ones.
type Ports struct {
	mu   sync.Mutex
	lo   int // range [lo, hi)
	hi   int
	next int
	held map[string]net.Listener // by address
}

// Default range: above the well-known and common service ports, below the
// ephemeral ranges of Linux (32768-60999) and of the IANA and BSDs
// (49152-65535).
const (
	defaultPortsLo = 20000
	defaultPortsHi = 32768
	// minPortsRange is the least room a range must leave.
	minPortsRange = 1000
	// portAttempts bounds the ports tried for one Take.
	portAttempts = 1000
)

// NewPorts returns an allocator over the default range, cut below the
// system's ephemeral range when that starts lower.
func NewPorts() (*Ports, error) {
	lo, hi := defaultPortsLo, defaultPortsHi
	if eph, ok := ephemeralLow(); ok && eph < hi {
		hi = eph
	}
	if hi-lo < minPortsRange {
		return nil, fmt.Errorf("testnet: the ephemeral port range starts at %d, leaving fewer than %d ports above %d for a run", hi, minPortsRange, lo)
	}
	return newPortsIn(lo, hi, lo+rand.IntN(hi-lo)), nil
}

func newPortsIn(lo, hi, start int) *Ports {
	return &Ports{lo: lo, hi: hi, next: start, held: map[string]net.Listener{}}
}

// ephemeralLow reads the start of Linux's ephemeral port range.
func ephemeralLow() (int, bool) {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, false
	}
	fields := strings.Fields(string(data))
	if len(fields) != 2 {
		return 0, false
	}
	lo, err := strconv.Atoi(fields[0])
	return lo, err == nil
}

// Take returns ip:port for the next free port of the range, held until
// Release or Close.
func (p *Ports) Take(ip string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var lastErr error
	for range portAttempts {
		port := p.next
		p.next++
		if p.next >= p.hi {
			p.next = p.lo
		}
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		if _, taken := p.held[addr]; taken {
			continue
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			lastErr = err
			continue
		}
		p.held[addr] = l
		return addr, nil
	}
	return "", fmt.Errorf("testnet: no free port on %s in %d tries from %d..%d: %w", ip, portAttempts, p.lo, p.hi-1, lastErr)
}

// Release stops holding addrs, so a process can bind them. Addresses it
// did not hand out are ignored.
func (p *Ports) Release(addrs ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range addrs {
		if l, ok := p.held[a]; ok {
			l.Close()
			delete(p.held, a)
		}
	}
}

// Close releases every port still held.
func (p *Ports) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for a, l := range p.held {
		errs = append(errs, l.Close())
		delete(p.held, a)
	}
	return errors.Join(errs...)
}
