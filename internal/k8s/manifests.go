package k8s

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/pompe-bft/pompe/internal/config"
)

// Manifests are the objects that run one testnet in a cluster.
type Manifests struct {
	Service      *corev1.Service
	StatefulSets []*appsv1.StatefulSet // StatefulSets[i]: replica i's pod
	Secrets      []*corev1.Secret      // Secrets[i]: replica i's node key
	ConfigMaps   []*corev1.ConfigMap   // ConfigMaps[i]: replica i's config and the genesis
}

// Build makes the manifests of the testnet in dir, which must have been
// generated with ConfigureTestnet for the same o.
func Build(dir string, o Options) (*Manifests, error) {
	o = o.WithDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	c, err := loadCluster(dir, o)
	if err != nil {
		return nil, err
	}
	m := &Manifests{Service: service(c, o)}
	for i, f := range c.files {
		m.Secrets = append(m.Secrets, secret(c, o, i, f))
		m.ConfigMaps = append(m.ConfigMaps, configMap(c, o, i, f))
		sts, err := statefulSet(c, o, i)
		if err != nil {
			return nil, err
		}
		m.StatefulSets = append(m.StatefulSets, sts)
	}
	return m, nil
}

// Objects lists the manifests in the order they are applied: what a pod
// mounts comes before the pods.
func (m *Manifests) Objects() []runtime.Object {
	objs := []runtime.Object{m.Service}
	for _, s := range m.Secrets {
		objs = append(objs, s)
	}
	for _, cm := range m.ConfigMaps {
		objs = append(objs, cm)
	}
	for _, sts := range m.StatefulSets {
		objs = append(objs, sts)
	}
	return objs
}

func objectMeta(name string, o Options, labels map[string]string, c *cluster) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:        name,
		Namespace:   o.Namespace,
		Labels:      labels,
		Annotations: map[string]string{annotCluster: c.genesis.ClusterID},
	}
}

// service is headless: it gives pod i the DNS name PodDNSName(i), and
// publishes pods before they are ready, since replicas must find each
// other to make progress at all. It lists the peer and client ports only:
// the metrics port (and pprof, should a config enable it) is for the
// kubelet's probes and a scraper that targets pods, never published.
func service(c *cluster, o Options) *corev1.Service {
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: objectMeta(AppName, o, selectorLabels(), c),
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			Selector:                 selectorLabels(),
			PublishNotReadyAddresses: true,
		},
	}
	for _, p := range containerPorts(c.ports) {
		if p.Name == portMetrics {
			continue
		}
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{
			Name:       p.Name,
			Protocol:   corev1.ProtocolTCP,
			Port:       p.ContainerPort,
			TargetPort: intstr.FromString(p.Name),
		})
	}
	return svc
}

func secret(c *cluster, o Options, i int, f replicaFiles) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: objectMeta(SecretName(i), o, replicaLabels(i), c),
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{config.NodeKeyFileName: f.nodeKey},
	}
}

func configMap(c *cluster, o Options, i int, f replicaFiles) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: objectMeta(ConfigMapName(i), o, replicaLabels(i), c),
		Data: map[string]string{
			config.ConfigFileName:  string(f.config),
			config.GenesisFileName: string(f.genesis),
		},
	}
}

func containerPorts(p podPorts) []corev1.ContainerPort {
	ports := []corev1.ContainerPort{
		{Name: portPeer, ContainerPort: int32(p.peer), Protocol: corev1.ProtocolTCP},
		{Name: portClient, ContainerPort: int32(p.client), Protocol: corev1.ProtocolTCP},
	}
	if p.metrics != 0 {
		ports = append(ports, corev1.ContainerPort{Name: portMetrics, ContainerPort: int32(p.metrics), Protocol: corev1.ProtocolTCP})
	}
	return ports
}
