package k8s

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// Options chooses where and how the replicas run in a cluster.
type Options struct {
	// Namespace holds every object (default "pompe").
	Namespace string
	// Image runs both the replica and its init step (default "pompe:latest").
	Image string
	// StorageSize is each replica's data volume claim, a Kubernetes
	// quantity such as "1Gi" (default "1Gi").
	StorageSize string
	// ClusterDomain is the cluster's DNS suffix (default "cluster.local").
	ClusterDomain string
}

// Defaults for zero Options fields, and fixed names.
const (
	DefaultNamespace     = "pompe"
	DefaultImage         = "pompe:latest"
	DefaultStorageSize   = "1Gi"
	DefaultClusterDomain = "cluster.local"
	// DefaultMetricsPort is where ConfigureTestnet makes replicas serve
	// /metrics, which the probes use.
	DefaultMetricsPort = 26660
	// AppName names the headless Service; replica i runs in the
	// StatefulSet AppName-i of one pod, AppName-i-0, whose DNS name is
	// AppName-i-0.AppName.NAMESPACE.svc.DOMAIN.
	AppName = "pompe"
	// maxImageBytes bounds an image reference (registries allow far less).
	maxImageBytes = 1024
)

// WithDefaults fills zero fields.
func (o Options) WithDefaults() Options {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Image == "" {
		o.Image = DefaultImage
	}
	if o.StorageSize == "" {
		o.StorageSize = DefaultStorageSize
	}
	if o.ClusterDomain == "" {
		o.ClusterDomain = DefaultClusterDomain
	}
	return o
}

// Validate reports the first field a cluster would refuse.
func (o Options) Validate() error {
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		return fmt.Errorf("k8s: namespace %q: %s", o.Namespace, strings.Join(errs, "; "))
	}
	if o.Image == "" || len(o.Image) > maxImageBytes || strings.ContainsAny(o.Image, " \t\r\n") {
		return fmt.Errorf("k8s: image %q: want a reference like registry.example.com/pompe:v1", o.Image)
	}
	q, err := resource.ParseQuantity(o.StorageSize)
	if err != nil {
		return fmt.Errorf("k8s: storage size %q: %w", o.StorageSize, err)
	}
	if q.Sign() <= 0 {
		return fmt.Errorf("k8s: storage size %q: want more than 0", o.StorageSize)
	}
	if errs := validation.IsDNS1123Subdomain(o.ClusterDomain); len(errs) > 0 {
		return fmt.Errorf("k8s: cluster domain %q: %s", o.ClusterDomain, strings.Join(errs, "; "))
	}
	return nil
}

// StatefulSetName names replica i's StatefulSet. Each replica has its own,
// so that its pod template mounts its own Secret and no other replica's
// key: one pod template shared by every replica would have to mount every
// key, and one compromised worker would then hold enough keys to forge
// quorum certificates.
func StatefulSetName(i int) string { return AppName + "-" + strconv.Itoa(i) }

// PodName is the name of replica i's pod, the only pod of its StatefulSet.
func PodName(i int) string { return StatefulSetName(i) + "-0" }

// PodDNSName is the stable DNS name of pod i under the headless Service.
func PodDNSName(i int, o Options) string {
	o = o.WithDefaults()
	return PodName(i) + "." + AppName + "." + o.Namespace + ".svc." + o.ClusterDomain
}

// Hosts places replica i on pod i's DNS name, one replica per host, so
// every replica uses the base ports.
func Hosts(n int, o Options) []testnet.Host {
	hosts := make([]testnet.Host, n)
	for i := range hosts {
		hosts[i] = testnet.Host{Address: PodDNSName(i, o)}
	}
	return hosts
}

// ConfigureTestnet makes t generate homes for pods: peer and client
// addresses are the pods' DNS names, replicas listen on every interface of
// their pod, and serve /metrics on DefaultMetricsPort for the probes.
func ConfigureTestnet(t *testnet.Options, o Options) error {
	o = o.WithDefaults()
	if err := o.Validate(); err != nil {
		return err
	}
	if len(t.Hosts) > 0 || t.DistinctIPs || t.FreePorts {
		return errors.New("k8s: pods have their own addresses; drop the hosts, distinct IPs and free ports")
	}
	n := t.N
	if n == 0 {
		n = testnet.DefaultN
	}
	if n < 1 || n > testnet.MaxReplicas {
		return fmt.Errorf("k8s: %d replicas, want 1..%d", n, testnet.MaxReplicas)
	}
	for _, p := range []int{t.BasePeerPort, t.BaseClientPort} {
		if p == DefaultMetricsPort {
			return fmt.Errorf("k8s: port %d is the metrics port; pick other base ports", p)
		}
	}
	t.N = n
	t.Hosts = Hosts(n, o)
	t.ListenAll = true
	metrics := net.JoinHostPort("0.0.0.0", strconv.Itoa(DefaultMetricsPort))
	prev := t.OverrideReplica
	t.OverrideReplica = func(i int, c *config.Config) {
		c.Metrics.Listen = metrics
		if prev != nil {
			prev(i, c)
		}
	}
	return nil
}
