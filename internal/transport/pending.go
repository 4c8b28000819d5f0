package transport

import (
	"net"
	"sync"
)

// maxPendingPerSource bounds the unauthenticated connections one remote IP
// may hold on one listener, so that a single slow-loris source cannot take
// every handshake slot and lock out replicas and other clients.
const maxPendingPerSource = 16

// pendingHandshakes is one listener's budget of connections that have not
// finished TLS: a total and a per-source-IP bound. Peer and client listeners
// have separate budgets, so a flood of client connections cannot keep
// replicas from reconnecting.
type pendingHandshakes struct {
	mu       sync.Mutex
	max      int
	total    int
	bySource map[string]int
}

func newPendingHandshakes(max int) *pendingHandshakes {
	return &pendingHandshakes{max: max, bySource: make(map[string]int)}
}

func sourceOf(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return c.RemoteAddr().String()
}

// acquire takes a slot for a connection from source, or reports that a
// bound is reached.
func (p *pendingHandshakes) acquire(source string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.total >= p.max || p.bySource[source] >= maxPendingPerSource {
		return false
	}
	p.total++
	p.bySource[source]++
	return true
}

func (p *pendingHandshakes) release(source string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total--
	if p.bySource[source]--; p.bySource[source] <= 0 {
		delete(p.bySource, source)
	}
}
