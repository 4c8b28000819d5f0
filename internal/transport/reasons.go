package transport

import (
	"net"
	"net/netip"
)

// refuseReason is why a connection was closed at once, before or right
// after its handshake.
type refuseReason int

const (
	refusedMaxClients      refuseReason = iota // p2p.max_clients
	refusedPerIP                               // p2p.max_clients_per_ip
	refusedPerPrefix                           // p2p.max_clients_per_prefix
	refusedHandshakeBudget                     // pending handshakes of the listener, IP or prefix
	refusedPenalty                             // the source was disconnected for bad proofs recently
	numRefuseReasons
)

func (r refuseReason) String() string {
	return [...]string{"max_clients", "per_ip", "per_prefix", "handshake_budget", "penalty"}[r]
}

// closeReason is why the transport closed an established connection.
type closeReason int

const (
	closedIdle         closeReason = iota // no frame within the idle timeout
	closedFrameTimeout                    // a started frame did not finish in time
	closedSlow                            // the client's send queue overflowed
	closedBadProofs                       // too many bad proofs from its source
	numCloseReasons
)

func (r closeReason) String() string {
	return [...]string{"idle", "frame_timeout", "slow_client", "bad_proofs"}[r]
}

// reservedPeerIPs gives each genesis peer IP a pool of reserved pending
// handshakes on the peer listener, ReservedPeerHandshakes per replica at
// that IP. Only literal IPs count (a host name would need a lookup). The
// pools help when replicas connect from their genesis IPs, as they do on
// hosts where that IP is the outgoing one, and on loopback (dialPeer binds
// it there).
func reservedPeerIPs(cfg Config) map[netip.Addr]int {
	pools := make(map[netip.Addr]int)
	for i, a := range cfg.PeerAddrs {
		if uint32(i) == cfg.Self {
			continue
		}
		if ip, ok := literalIP(a); ok {
			pools[ip] += cfg.ReservedPeerHandshakes
		}
	}
	return pools
}

// literalIP is the IP of a "host:port" address whose host is an IP.
func literalIP(addr string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}
