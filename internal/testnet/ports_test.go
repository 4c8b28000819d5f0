package testnet

import (
	"net"
	"path/filepath"
	"strconv"
	"testing"
)

func canBind(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func TestPortsAreDistinctAndHeldUntilReleased(t *testing.T) {
	p, err := NewPorts()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	seen := map[string]bool{}
	var addrs []string
	for i := range 40 {
		ip := "127.0.0." + strconv.Itoa(i%4+1)
		addr, err := p.Take(ip)
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(addr)
		if seen[port] {
			t.Fatalf("port %s handed out twice", port)
		}
		seen[port] = true
		if n, _ := strconv.Atoi(port); n < defaultPortsLo || n >= defaultPortsHi {
			t.Fatalf("port %d outside %d..%d", n, defaultPortsLo, defaultPortsHi-1)
		}
		addrs = append(addrs, addr)
	}
	for _, a := range addrs {
		if canBind(a) {
			t.Fatalf("%s is free while held", a)
		}
	}
	p.Release(addrs[:10]...)
	for i, a := range addrs {
		if canBind(a) != (i < 10) {
			t.Fatalf("%s: bindable %v after releasing the first 10", a, canBind(a))
		}
	}
	p.Close()
	for _, a := range addrs {
		if !canBind(a) {
			t.Fatalf("%s still held after Close", a)
		}
	}
}

// A port that another process holds is skipped, not handed out.
func TestPortsSkipPortsInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	p := newPortsIn(port, port+20, port)
	defer p.Close()
	addr, err := p.Take("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if addr == busy.Addr().String() {
		t.Fatalf("handed out %s, which is in use", addr)
	}
	// A range with nothing free fails with an error, not a duplicate.
	full := newPortsIn(port, port+1, port)
	if addr, err := full.Take("127.0.0.1"); err == nil {
		t.Fatalf("took %s from a range whose only port is in use", addr)
	}
}

// With Options.Ports, the testnet's addresses stay held for the caller.
func TestGenerateKeepsPortsHeldForTheCaller(t *testing.T) {
	p, err := NewPorts()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dir := filepath.Join(t.TempDir(), "tn")
	if err := Generate(Options{OutDir: dir, N: 4, DistinctIPs: true, FreePorts: true, Ports: p}); err != nil {
		t.Fatal(err)
	}
	ci, err := LoadClusterInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ci.Genesis.Replicas {
		for _, a := range []string{r.PeerAddress, r.ClientAddress} {
			if canBind(a) {
				t.Errorf("%s free before the caller released it", a)
			}
			p.Release(a)
			if !canBind(a) {
				t.Errorf("%s still held after its release", a)
			}
		}
	}
}
