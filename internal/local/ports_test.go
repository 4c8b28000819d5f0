package local

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// Every address of a run (peer, client, metrics, fault control) comes from
// one allocator: all distinct, and each held until its replica starts.
// With faults, replica 0's fault-control listener and its client address
// were once given the same port.
func TestRunAddressesAreDistinctAndHeld(t *testing.T) {
	for _, faults := range []string{"", "crash"} {
		t.Run("faults="+faults, func(t *testing.T) {
			o, err := Options{Nodes: 7, Clients: 1, Faults: faults, Duration: 10 * time.Second, Executable: "/bin/true"}.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			r := &runner{o: o, dir: t.TempDir()}
			if r.ports, err = testnet.NewPorts(); err != nil {
				t.Fatal(err)
			}
			defer r.ports.Close()
			fr, err := newFaultRun(r)
			if err != nil {
				t.Fatal(err)
			}
			w, err := newWANSetup(o)
			if err != nil {
				t.Fatal(err)
			}
			ci, metrics, err := r.writeTestnet(filepath.Join(r.dir, "testnet"), fr, w)
			if err != nil {
				t.Fatal(err)
			}
			ports := map[string]string{} // port -> what uses it
			for i, home := range ci.Homes {
				h, err := config.Load(home)
				if err != nil {
					t.Fatal(err)
				}
				if h.Config.Metrics.Listen != metrics[i] {
					t.Fatalf("replica %d: metrics on %s, run scrapes %s", i, h.Config.Metrics.Listen, metrics[i])
				}
				ri := ci.Genesis.Replicas[i]
				for what, addr := range map[string]string{"peer": ri.PeerAddress, "client": ri.ClientAddress, "metrics": metrics[i]} {
					_, port, err := net.SplitHostPort(addr)
					if err != nil {
						t.Fatal(err)
					}
					if other, dup := ports[port]; dup {
						t.Fatalf("port %s given to replica %d %s and to %s", port, i, what, other)
					}
					ports[port] = what
					if l, err := net.Listen("tcp", addr); err == nil {
						l.Close()
						t.Fatalf("replica %d %s address %s is not held before the replica starts", i, what, addr)
					}
				}
			}
			if want := 3 * o.Nodes; len(ports) != want {
				t.Fatalf("%d ports, want %d", len(ports), want)
			}
		})
	}
}
