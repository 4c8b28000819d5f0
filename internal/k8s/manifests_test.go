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
	"github.com/pompe-bft/pompe/internal/k8s/k8shome"
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
			if d.count != 1+3*tc.n {
				t.Fatalf("%d objects, want %d", d.count, 1+3*tc.n)
			}
			if d.kinds[0] != "v1 Service" || d.kinds[d.count-1] != "apps/v1 StatefulSet" {
				t.Fatalf("kinds %q: want the Service first and the StatefulSets last", d.kinds)
			}
			if len(d.services) != 1 || len(d.statefulSets) != tc.n {
				t.Fatalf("%d services, %d statefulsets", len(d.services), len(d.statefulSets))
			}
			svc := d.services[0]
			g := checkReplicaObjects(t, d, tc.n, o)
			for i, sts := range d.statefulSets {
				if sts.Name != StatefulSetName(i) {
					t.Fatalf("statefulset %d is %q, want %q", i, sts.Name, StatefulSetName(i))
				}
				checkService(t, svc, sts, o)
				checkOwnSecretOnly(t, d, sts, i)
				checkPods(t, sts, g, o)
				checkInstall(t, d, sts, i)
			}
			checkSelectorsDisjoint(t, d.statefulSets)
		})
	}
}

// checkOwnSecretOnly: replica i's pod template references replica i's
// Secret and ConfigMap and no other replica's, in any volume or container.
func checkOwnSecretOnly(t *testing.T, d decoded, sts *appsv1.StatefulSet, i int) {
	t.Helper()
	pod := sts.Spec.Template.Spec
	secrets, configMaps := map[string]bool{}, map[string]bool{}
	for _, v := range pod.Volumes {
		if v.Secret != nil {
			secrets[v.Secret.SecretName] = true
		}
		if v.ConfigMap != nil {
			configMaps[v.ConfigMap.Name] = true
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					secrets[src.Secret.Name] = true
				}
				if src.ConfigMap != nil {
					configMaps[src.ConfigMap.Name] = true
				}
			}
		}
	}
	for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				secrets[e.ValueFrom.SecretKeyRef.Name] = true
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				secrets[e.SecretRef.Name] = true
			}
		}
	}
	if len(secrets) != 1 || !secrets[SecretName(i)] {
		t.Fatalf("pod of replica %d mounts Secrets %v, want only %s", i, secrets, SecretName(i))
	}
	if len(configMaps) != 1 || !configMaps[ConfigMapName(i)] {
		t.Fatalf("pod of replica %d mounts ConfigMaps %v, want only %s", i, configMaps, ConfigMapName(i))
	}
	if _, ok := d.secrets[SecretName(i)]; !ok {
		t.Fatalf("replica %d's pod mounts %s, which the manifests lack", i, SecretName(i))
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Fatalf("pod of replica %d mounts a service account token", i)
	}
}

// checkSelectorsDisjoint: no StatefulSet selects another one's pod.
func checkSelectorsDisjoint(t *testing.T, sets []*appsv1.StatefulSet) {
	t.Helper()
	for i, a := range sets {
		for j, b := range sets {
			if i == j {
				continue
			}
			match := true
			for k, v := range a.Spec.Selector.MatchLabels {
				if b.Spec.Template.Labels[k] != v {
					match = false
				}
			}
			if match {
				t.Fatalf("statefulset %s selects the pods of %s", a.Name, b.Name)
			}
		}
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
		if sts.Spec.Template.Labels[k] != v {
			t.Fatalf("service selects %s=%s, which the pods of %s lack", k, v, sts.Name)
		}
	}
	// Metrics (and pprof, were it on) are never published by the Service.
	var names []string
	for _, p := range svc.Spec.Ports {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, []string{portPeer, portClient}) {
		t.Fatalf("service ports %v, want only %s and %s", names, portPeer, portClient)
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
		if l, _ := net.ResolveTCPAddr("tcp", c.Metrics.Listen); c.Metrics.ServesPprof(l) {
			t.Fatalf("replica %d serves pprof on %s, reachable from other pods", i, c.Metrics.Listen)
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

func checkPods(t *testing.T, sts *appsv1.StatefulSet, g config.Genesis, o Options) {
	t.Helper()
	if sts.Spec.Replicas == nil || int(*sts.Spec.Replicas) != 1 {
		t.Fatalf("statefulset %s replicas %v, want 1", sts.Name, sts.Spec.Replicas)
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

// checkInstall lays out replica i's projected volume as the kubelet would
// from the decoded objects, then runs the pod's init step on it.
func checkInstall(t *testing.T, d decoded, sts *appsv1.StatefulSet, i int) {
	t.Helper()
	pod := sts.Spec.Template.Spec
	initC := pod.InitContainers[0]
	var mountPath string
	for _, m := range initC.VolumeMounts {
		if m.Name == replicaVolume {
			mountPath = m.MountPath
		}
	}
	if !slices.Equal(initC.Args, InitArgs(i)) {
		t.Fatalf("init args %q, want %q", initC.Args, InitArgs(i))
	}
	if j := slices.Index(initC.Args, "--from"); j < 0 || initC.Args[j+1] != mountPath {
		t.Fatalf("init args %q do not read the mount %q", initC.Args, mountPath)
	}
	var proj *corev1.ProjectedVolumeSource
	for _, v := range pod.Volumes {
		if v.Name == replicaVolume {
			proj = v.Projected
		}
	}
	if proj == nil {
		t.Fatal("no projected volume of the replica's files")
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
	home := t.TempDir()
	if err := k8shome.InstallHome(root, i, home); err != nil {
		t.Fatalf("pod %s: %v", PodName(i), err)
	}
	// A restarted init step replaces what it wrote.
	if err := k8shome.InstallHome(root, i, home); err != nil {
		t.Fatalf("second install of %s: %v", PodName(i), err)
	}
	// The files are replica i's: installing them as another replica fails.
	if err := k8shome.InstallHome(root, i+1, t.TempDir()); err == nil {
		t.Fatalf("replica %d's files installed as replica %d", i, i+1)
	}
}
