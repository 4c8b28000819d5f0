package transport

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// source names where a connection comes from: its IP and the address
// prefix that one party typically controls as a whole (a /24 for IPv4, a
// /64 for IPv6, which one host is often given entire). Budgets are kept per
// IP and per prefix, so that neither one address nor a range of them takes
// every slot.
type source struct {
	ip     netip.Addr
	prefix netip.Prefix
}

func sourceOfAddr(a net.Addr) source {
	var ip netip.Addr
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ = netip.AddrFromSlice(ta.IP)
	} else if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		ip = ap.Addr()
	}
	ip = ip.Unmap()
	bits := 64
	if ip.Is4() {
		bits = 24
	}
	prefix, _ := ip.Prefix(bits)
	return source{ip: ip, prefix: prefix}
}

func sourceOf(c net.Conn) source { return sourceOfAddr(c.RemoteAddr()) }

// limitKey names a source in log throttling.
func (s source) limitKey(what string) string { return s.prefix.String() + " " + what }

// handshakeBudget is one listener's budget of connections that have not
// finished TLS: a total, and shares per IP and per prefix. Connections from
// reserved IPs (the genesis peer addresses, on the peer listener) draw on a
// pool of their own that nothing else can take: a flood of connections that
// never start TLS cannot keep replicas out of the mesh. Peers and clients
// have separate listeners, so each listener has its own budget.
//
// At the bound the connection is closed at once and counted as refused.
type handshakeBudget struct {
	mu        sync.Mutex
	max       int
	perIP     int
	perPrefix int
	total     int
	byIP      map[netip.Addr]int
	byPrefix  map[netip.Prefix]int
	// reserved[ip] is the pool of a genesis peer IP; reservedUsed counts
	// what is taken of it.
	reserved     map[netip.Addr]int
	reservedUsed map[netip.Addr]int
}

func newHandshakeBudget(max, perIP, perPrefix int, reserved map[netip.Addr]int) *handshakeBudget {
	return &handshakeBudget{
		max: max, perIP: perIP, perPrefix: perPrefix,
		byIP: make(map[netip.Addr]int), byPrefix: make(map[netip.Prefix]int),
		reserved: reserved, reservedUsed: make(map[netip.Addr]int),
	}
}

// acquire takes a slot for a connection from s, or reports that a bound is
// reached. The release function gives it back.
func (b *handshakeBudget) acquire(s source) (release func(), ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if pool := b.reserved[s.ip]; pool > 0 && b.reservedUsed[s.ip] < pool {
		b.reservedUsed[s.ip]++
		return b.releaser(func() { b.reservedUsed[s.ip]-- }), true
	}
	if b.total >= b.max || b.byIP[s.ip] >= b.perIP || b.byPrefix[s.prefix] >= b.perPrefix {
		return nil, false
	}
	b.total++
	b.byIP[s.ip]++
	b.byPrefix[s.prefix]++
	return b.releaser(func() {
		b.total--
		decrement(b.byIP, s.ip)
		decrement(b.byPrefix, s.prefix)
	}), true
}

func (b *handshakeBudget) releaser(undo func()) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			undo()
			b.mu.Unlock()
		})
	}
}

func decrement[K comparable](m map[K]int, k K) {
	if m[k]--; m[k] <= 0 {
		delete(m, k)
	}
}

// clientCounts are the established client connections per IP and per
// prefix, guarded by Transport.mu. At a bound the new connection is closed
// right after its handshake and counted as refused: connections a source
// already holds are not disturbed.
type clientCounts struct {
	byIP     map[netip.Addr]int
	byPrefix map[netip.Prefix]int
}

// penaltyBox slows the reconnection of sources whose clients were
// disconnected for misbehaving (bad proofs): while a source is boxed, its
// new client connections are refused at accept. Each new offence within
// penaltyMemory doubles the time, up to maxPenalty. It is bounded by
// maxBoxed entries; when full, the entry that expires first is dropped.
type penaltyBox struct {
	mu      sync.Mutex
	entries map[netip.Addr]*penalty
}

type penalty struct {
	until    time.Time
	duration time.Duration
}

const (
	minPenalty    = time.Second
	maxPenalty    = time.Minute
	penaltyMemory = 10 * time.Minute
	maxBoxed      = 4096
)

func newPenaltyBox() *penaltyBox { return &penaltyBox{entries: make(map[netip.Addr]*penalty)} }

// punish boxes ip and returns for how long.
func (p *penaltyBox) punish(ip netip.Addr, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.entries[ip]
	switch {
	case e == nil:
		if len(p.entries) >= maxBoxed {
			p.evictLocked(now)
		}
		e = &penalty{duration: minPenalty}
		p.entries[ip] = e
	case now.Sub(e.until) > penaltyMemory:
		e.duration = minPenalty
	default:
		e.duration = min(2*e.duration, maxPenalty)
	}
	e.until = now.Add(e.duration)
	return e.duration
}

func (p *penaltyBox) evictLocked(now time.Time) {
	var first netip.Addr
	var firstUntil time.Time
	for ip, e := range p.entries {
		if now.Sub(e.until) > penaltyMemory {
			delete(p.entries, ip)
			continue
		}
		if firstUntil.IsZero() || e.until.Before(firstUntil) {
			first, firstUntil = ip, e.until
		}
	}
	if len(p.entries) >= maxBoxed {
		delete(p.entries, first)
	}
}

// boxed reports whether ip may not connect now.
func (p *penaltyBox) boxed(ip netip.Addr, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.entries[ip]
	return e != nil && now.Before(e.until)
}

// strikes counts one kind of offence per client connection source within a
// sliding window: a fixed-size ring of times per IP. Bounded by maxStruck
// IPs; when full, the table is cleared (offenders then start over, which
// only delays their disconnection).
type strikes struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	byIP   map[netip.Addr][]time.Time
}

const maxStruck = 4096

func newStrikes(limit int, window time.Duration) *strikes {
	return &strikes{limit: limit, window: window, byIP: make(map[netip.Addr][]time.Time)}
}

// add records an offence by ip and reports whether ip has now reached the
// limit within the window (its record is then cleared).
func (s *strikes) add(ip netip.Addr, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	times := s.byIP[ip]
	if times == nil && len(s.byIP) >= maxStruck {
		clear(s.byIP)
	}
	kept := times[:0]
	for _, t := range times {
		if now.Sub(t) < s.window {
			kept = append(kept, t)
		}
	}
	kept = append(kept, now)
	if len(kept) >= s.limit {
		delete(s.byIP, ip)
		return true
	}
	s.byIP[ip] = kept
	return false
}
