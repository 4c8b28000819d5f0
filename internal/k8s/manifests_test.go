package k8s

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/testnet"
)

func TestManifestsDecodeAndMatchTheTestnet(t *testing.T) {
	tests := []struct {
		n    int
		opts Options
	}{
		{4, Options{}},
		{7, Options{Namespace: "bft-test", Image: "registry.example.com/pompe:v1", StorageSize: "5Gi"}},
		{16, Options{Namespace: "pompe16", ClusterDomain: "k8s.example.org"}},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.n), func(t *testing.T) {
			o := tc.opts.WithDefaults()
			dir := generate(t, tc.n, o)
			file, err := Write(dir, o)
			if err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("manifest file %v, err %v: want mode 0600, it holds keys", st.Mode(), err)
			}
			d := decodeFile(t, file)
			if d.count != 2+2*tc.n {
				t.Fatalf("%d objects, want %d", d.count, 2+2*tc.n)
			}
			if d.kinds[0] != "v1 Service" || d.kinds[d.count-1] != "apps/v1 StatefulSet" {
				t.Fatalf("kinds %q: want the Service first and the StatefulSet last", d.kinds)
			}
			if len(d.services) != 1 || len(d.statefulSets) != 1 {
				t.Fatalf("%d services, %d statefulsets", len(d.services), len(d.statefulSets))
			}
			svc, sts := d.services[0], d.statefulSets[0]
			checkService(t, svc, sts, o)
			g := checkReplicaObjects(t, d, tc.n, o)
			checkPods(t, sts, g, tc.n, o)
			checkInstall(t, d, sts, tc.n)
		})
	}
}

func checkService(t *testing.T, svc *corev1.Service, sts *appsv1.StatefulSet, o Options) {
	t.Helper()
	if svc.Spec.ClusterIP != corev1.ClusterIPNone || !svc.Spec.PublishNotReadyAddresses {
		t.Fatalf("service clusterIP %q, publishNotReady %v: want a headless service", svc.Spec.ClusterIP, svc.Spec.PublishNotReadyAddresses)
	}
	if sts.Spec.ServiceName != svc.Name || svc.Namespace != o.Namespace || sts.Namespace != o.Namespace {
		t.Fatalf("statefulset %s/%s names service %q; service is %s/%s", sts.Namespace, sts.Name, sts.Spec.ServiceName, svc.Namespace, svc.Name)
	}
	for k, v := range svc.Spec.Selector {
		if sts.Spec.Template.Labels[k] != v || sts.Spec.Selector.MatchLabels[k] != v {
			t.Fatalf("service selects %s=%s, which the pods lack", k, v)
		}
	}
}

// checkReplicaObjects checks every replica's Secret and ConfigMap against
// each other and returns the genesis.
func checkReplicaObjects(t *testing.T, d decoded, n int, o Options) config.Genesis {
	t.Helper()
	var first config.Genesis
	for i := range n {
		cm, ok := d.configMaps[ConfigMapName(i)]
		if !ok {
			t.Fatalf("no ConfigMap %s", ConfigMapName(i))
		}
		sec, ok := d.secrets[SecretName(i)]
		if !ok {
			t.Fatalf("no Secret %s", SecretName(i))
		}
		c, err := config.ParseConfig([]byte(cm.Data[config.ConfigFileName]))
		if err != nil {
			t.Fatalf("replica %d config: %v", i, err)
		}
		if c.P2P.ListenPeer == "" || c.Metrics.Listen == "" {
			t.Fatalf("replica %d listens on %q, metrics on %q", i, c.P2P.ListenPeer, c.Metrics.Listen)
		}
		g, err := config.ParseGenesis([]byte(cm.Data[config.GenesisFileName]))
		if err != nil {
			t.Fatalf("replica %d genesis: %v", i, err)
		}
		if i == 0 {
			first = g
		} else if cm.Data[config.GenesisFileName] != d.configMaps[ConfigMapName(0)].Data[config.GenesisFileName] {
			t.Fatalf("replica %d has another genesis", i)
		}
		if len(g.Replicas) != n {
			t.Fatalf("genesis of %d replicas, want %d", len(g.Replicas), n)
		}
		r := g.Replicas[i]
		if host, _, _ := net.SplitHostPort(r.PeerAddress); host != PodDNSName(i, o) {
			t.Fatalf("replica %d peer address %s, want on %s", i, r.PeerAddress, PodDNSName(i, o))
		}
		if !strings.HasSuffix(r.ClientAddress, "."+o.Namespace+".svc."+o.ClusterDomain+":"+strconv.Itoa(testnet.DefaultBaseClientPort)) {
			t.Fatalf("replica %d client address %s", i, r.ClientAddress)
		}
		keyFile := filepath.Join(t.TempDir(), "key.toml")
		if err := os.WriteFile(keyFile, sec.Data[config.NodeKeyFileName], 0o600); err != nil {
			t.Fatal(err)
		}
		key, err := config.ReadKeyFile(keyFile)
		if err != nil {
			t.Fatalf("replica %d secret: %v", i, err)
		}
		if crypto.EncodeKey(key.Public()) != r.PublicKey {
			t.Fatalf("replica %d: the Secret's key is not the genesis key", i)
		}
	}
	return first
}

func checkPods(t *testing.T, sts *appsv1.StatefulSet, g config.Genesis, n int, o Options) {
	t.Helper()
	if sts.Spec.Replicas == nil || int(*sts.Spec.Replicas) != n {
		t.Fatalf("statefulset replicas %v, want %d", sts.Spec.Replicas, n)
	}
	pod := sts.Spec.Template.Spec
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Fatalf("pod security context %+v: want a non-root user", sc)
	}
	if len(pod.Containers) != 1 || len(pod.InitContainers) != 1 {
		t.Fatalf("%d containers, %d init containers", len(pod.Containers), len(pod.InitContainers))
	}
	for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		sc := c.SecurityContext
		if c.Image != o.Image || sc == nil || !*sc.RunAsNonRoot || !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation {
			t.Fatalf("container %s: image %q, security %+v", c.Name, c.Image, sc)
		}
	}
	c := pod.Containers[0]
	_, peer, _ := net.SplitHostPort(g.Replicas[0].PeerAddress)
	_, client, _ := net.SplitHostPort(g.Replicas[0].ClientAddress)
	want := map[string]string{portPeer: peer, portClient: client, portMetrics: strconv.Itoa(DefaultMetricsPort)}
	if len(c.Ports) != len(want) {
		t.Fatalf("ports %+v, want %v", c.Ports, want)
	}
	for _, p := range c.Ports {
		if strconv.Itoa(int(p.ContainerPort)) != want[p.Name] {
			t.Fatalf("port %s = %d, want %s", p.Name, p.ContainerPort, want[p.Name])
		}
	}
	for _, pr := range []*corev1.Probe{c.StartupProbe, c.LivenessProbe, c.ReadinessProbe} {
		if pr == nil || pr.HTTPGet == nil || pr.HTTPGet.Path != "/metrics" || pr.HTTPGet.Port.StrVal != portMetrics {
			t.Fatalf("probe %+v: want GET /metrics on the metrics port", pr)
		}
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("%d claim templates", len(sts.Spec.VolumeClaimTemplates))
	}
	claim := sts.Spec.VolumeClaimTemplates[0]
	if got := claim.Spec.Resources.Requests[corev1.ResourceStorage]; got.String() != o.StorageSize {
		t.Fatalf("claim of %s, want %s", got.String(), o.StorageSize)
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	if mounts[claim.Name] != podHome+"/data" || mounts[configVolume] != podConfigDir {
		t.Fatalf("replica mounts %v", mounts)
	}
	if !slices.Equal(c.Args, []string{"node", "--home", podHome}) {
		t.Fatalf("replica args %q", c.Args)
	}
}

// checkInstall lays out the init step's projected volume as the kubelet
// would from the decoded objects, then runs the init step of every pod.
func checkInstall(t *testing.T, d decoded, sts *appsv1.StatefulSet, n int) {
	t.Helper()
	pod := sts.Spec.Template.Spec
	initC := pod.InitContainers[0]
	var mountPath string
	for _, m := range initC.VolumeMounts {
		if m.Name == replicasVolume {
			mountPath = m.MountPath
		}
	}
	if i := slices.Index(initC.Args, "--from"); i < 0 || initC.Args[i+1] != mountPath {
		t.Fatalf("init args %q do not read the mount %q", initC.Args, mountPath)
	}
	if len(initC.Env) != 1 || initC.Env[0].ValueFrom.FieldRef.FieldPath != "metadata.name" || !slices.Contains(initC.Args, "$("+initC.Env[0].Name+")") {
		t.Fatalf("init step does not learn its pod name: env %+v, args %q", initC.Env, initC.Args)
	}
	var proj *corev1.ProjectedVolumeSource
	for _, v := range pod.Volumes {
		if v.Name == replicasVolume {
			proj = v.Projected
		}
	}
	if proj == nil {
		t.Fatal("no projected volume of the replicas' files")
	}
	root := t.TempDir()
	write := func(rel string, data []byte) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		// A Secret mounted with fsGroup is group-readable.
		if err := os.WriteFile(p, data, os.FileMode(*proj.DefaultMode)|0o040); err != nil {
			t.Fatal(err)
		}
	}
	for _, src := range proj.Sources {
		switch {
		case src.ConfigMap != nil:
			for _, it := range src.ConfigMap.Items {
				write(it.Path, []byte(d.configMaps[src.ConfigMap.Name].Data[it.Key]))
			}
		case src.Secret != nil:
			for _, it := range src.Secret.Items {
				write(it.Path, d.secrets[src.Secret.Name].Data[it.Key])
			}
		}
	}
	for i := range n {
		home := t.TempDir()
		got, err := InstallHome(root, PodName(i), home)
		if err != nil || got != i {
			t.Fatalf("pod %s installs replica %d, err %v", PodName(i), got, err)
		}
		// A restarted init step replaces what it wrote.
		if _, err := InstallHome(root, PodName(i), home); err != nil {
			t.Fatalf("second install of %s: %v", PodName(i), err)
		}
	}
	if _, err := InstallHome(root, PodName(n), t.TempDir()); err == nil {
		t.Fatalf("pod %s installed a home of a %d-replica testnet", PodName(n), n)
	}
}
