package k8s

import (
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/k8s/k8shome"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// replicaFiles are the bytes of one home's config directory, as written.
type replicaFiles struct {
	config, genesis, nodeKey []byte
}

// podPorts are the listeners every pod of the StatefulSet opens; one pod
// template serves all replicas, so all replicas must agree on them.
type podPorts struct {
	peer, client int
	metrics      int    // 0: the replicas serve no metrics
	dataDir      string // the store directory inside the pod
}

// cluster is a loaded testnet, checked to fit the StatefulSet.
type cluster struct {
	genesis config.Genesis
	files   []replicaFiles
	ports   podPorts
}

// loadCluster reads the testnet in dir and checks that its replicas can
// run as the pods of o: addresses are the pods' DNS names, listeners
// are on every interface, and every replica uses the same ports.
func loadCluster(dir string, o Options) (*cluster, error) {
	ci, err := testnet.LoadClusterInfo(dir)
	if err != nil {
		return nil, err
	}
	c := &cluster{genesis: ci.Genesis}
	for i, home := range ci.Homes {
		h, err := config.Load(home)
		if err != nil {
			return nil, err
		}
		ports, err := portsOf(h, i, o)
		if err != nil {
			return nil, fmt.Errorf("k8s: replica %d: %w", i, err)
		}
		if i == 0 {
			c.ports = ports
		} else if ports != c.ports {
			return nil, fmt.Errorf("k8s: replica %d uses %+v, replica 0 %+v; one pod template needs the same ports and data directory for all", i, ports, c.ports)
		}
		f, err := readFiles(h.Paths)
		if err != nil {
			return nil, err
		}
		if len(f.config)+len(f.genesis) > k8shome.MaxFileBytes {
			return nil, fmt.Errorf("k8s: replica %d: config and genesis exceed the %d bytes a ConfigMap holds", i, k8shome.MaxFileBytes)
		}
		c.files = append(c.files, f)
	}
	return c, nil
}

func portsOf(h *config.Home, i int, o Options) (podPorts, error) {
	self := h.Self()
	want := PodDNSName(i, o)
	peer, err := dialPort(self.PeerAddress, want)
	if err != nil {
		return podPorts{}, fmt.Errorf("peer address: %w", err)
	}
	client, err := dialPort(self.ClientAddress, want)
	if err != nil {
		return podPorts{}, fmt.Errorf("client address: %w", err)
	}
	p := podPorts{peer: peer, client: client, dataDir: dataDirInPod(h.Config.Node.DataDir)}
	if p.dataDir == "/" || p.dataDir == podHome || p.dataDir == podConfigDir || strings.HasPrefix(p.dataDir, podConfigDir+"/") {
		return podPorts{}, fmt.Errorf("node.data_dir %q: the data volume cannot be mounted there", h.Config.Node.DataDir)
	}
	if err := listensOn(h.Config.P2P.ListenPeer, peer); err != nil {
		return podPorts{}, fmt.Errorf("p2p.listen_peer: %w", err)
	}
	if err := listensOn(h.Config.P2P.ListenClient, client); err != nil {
		return podPorts{}, fmt.Errorf("p2p.listen_client: %w", err)
	}
	if h.Config.Metrics.Listen != "" {
		if p.metrics, err = wildcardPort(h.Config.Metrics.Listen); err != nil {
			return podPorts{}, fmt.Errorf("metrics.listen: %w", err)
		}
	}
	if p.peer == p.client || p.metrics == p.peer || p.metrics == p.client {
		return podPorts{}, fmt.Errorf("ports %d (peers), %d (clients) and %d (metrics) must differ", p.peer, p.client, p.metrics)
	}
	return p, nil
}

// dialPort checks that addr is host's and returns its port.
func dialPort(addr, host string) (int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	if h != host {
		return 0, fmt.Errorf("%s is not on %s; generate the testnet for this namespace and cluster domain", addr, host)
	}
	return strconv.Atoi(p)
}

// listensOn checks that a replica accepts on every interface at port:
// peers reach a pod through its own IP, at the port of its DNS address.
func listensOn(addr string, port int) error {
	p, err := wildcardPort(addr)
	if err != nil {
		return err
	}
	if p != port {
		return fmt.Errorf("%s: port %d, but others dial %d", addr, p, port)
	}
	return nil
}

func wildcardPort(addr string) (int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	if ip := net.ParseIP(h); h != "" && (ip == nil || !ip.IsUnspecified()) {
		return 0, fmt.Errorf("%s: a pod must listen on every interface (0.0.0.0)", addr)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("%s: port is not in 1..65535", addr)
	}
	return port, nil
}

// dataDirInPod resolves the config's data_dir against the pod's home.
func dataDirInPod(dataDir string) string {
	if path.IsAbs(dataDir) {
		return path.Clean(dataDir)
	}
	return path.Join(podHome, dataDir)
}

func readFiles(p config.Paths) (replicaFiles, error) {
	var f replicaFiles
	var err error
	if f.config, err = k8shome.ReadBounded(p.Config); err != nil {
		return f, err
	}
	if f.genesis, err = k8shome.ReadBounded(p.Genesis); err != nil {
		return f, err
	}
	f.nodeKey, err = k8shome.ReadBounded(p.NodeKey)
	return f, err
}
