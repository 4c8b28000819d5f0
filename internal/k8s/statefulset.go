package k8s

import (
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/pompe-bft/pompe/internal/config"
)

// configVolumeBytes bounds the in-memory volume holding one home's
// config directory (a few kilobytes plus the genesis).
const configVolumeBytes = 16 << 20

// statefulSet runs replica i as the one pod of its own StatefulSet, which
// gives it a stable name, DNS name and volume claim; its template mounts
// replica i's Secret and ConfigMap and nothing of any other replica.
func statefulSet(c *cluster, o Options, i int) (*appsv1.StatefulSet, error) {
	storage, err := resource.ParseQuantity(o.StorageSize)
	if err != nil {
		return nil, fmt.Errorf("k8s: storage size: %w", err)
	}
	one := int32(1)
	return &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: objectMeta(StatefulSetName(i), o, replicaLabels(i), c),
		Spec: appsv1.StatefulSetSpec{
			Replicas:    &one,
			ServiceName: AppName,
			// The replica label keeps the selectors of the replicas'
			// StatefulSets disjoint.
			Selector: &metav1.LabelSelector{MatchLabels: replicaLabels(i)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: replicaLabels(i)},
				Spec:       podSpec(c, o, i),
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
				ObjectMeta: metav1.ObjectMeta{Name: dataVolume, Labels: replicaLabels(i)},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceStorage: storage},
					},
				},
			}},
		},
	}, nil
}

func podSpec(c *cluster, o Options, i int) corev1.PodSpec {
	uid := nonRootID
	onRootMismatch := corev1.FSGroupChangeOnRootMismatch
	return corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot: ptr(true),
			RunAsUser:    &uid,
			RunAsGroup:   &uid,
			// fsGroup lets the non-root user write the data volume and
			// read the mounted Secret (which it makes group-readable,
			// hence the init step that copies the key to a 0600 file).
			FSGroup:             &uid,
			FSGroupChangePolicy: &onRootMismatch,
			SeccompProfile:      &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		// Spreading replicas over nodes keeps one node's loss within the
		// faults the cluster tolerates, where the scheduler can.
		Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
				Weight: 100,
				PodAffinityTerm: corev1.PodAffinityTerm{
					LabelSelector: &metav1.LabelSelector{MatchLabels: selectorLabels()},
					TopologyKey:   "kubernetes.io/hostname",
				},
			}},
		}},
		// The replica needs no Kubernetes API access.
		AutomountServiceAccountToken: ptr(false),
		InitContainers:               []corev1.Container{initContainer(o, i)},
		Containers:                   []corev1.Container{replicaContainer(c, o)},
		Volumes: []corev1.Volume{
			{Name: configVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
				Medium:    corev1.StorageMediumMemory,
				SizeLimit: resource.NewQuantity(configVolumeBytes, resource.BinarySI),
			}}},
			{Name: replicaVolume, VolumeSource: corev1.VolumeSource{Projected: replicaProjection(i)}},
		},
	}
}

// replicaProjection mounts replica i's ConfigMap and Secret, and only
// those, as NAME; only the init step mounts it.
func replicaProjection(i int) *corev1.ProjectedVolumeSource {
	return &corev1.ProjectedVolumeSource{
		DefaultMode: ptr(int32(0o440)),
		Sources: []corev1.VolumeProjection{
			{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: ConfigMapName(i)},
				Items: []corev1.KeyToPath{
					{Key: config.ConfigFileName, Path: config.ConfigFileName},
					{Key: config.GenesisFileName, Path: config.GenesisFileName},
				},
			}},
			{Secret: &corev1.SecretProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: SecretName(i)},
				Items:                []corev1.KeyToPath{{Key: config.NodeKeyFileName, Path: config.NodeKeyFileName}},
			}},
		},
	}
}

// InitArgs are the arguments of the init step that installs replica i's
// home in its pod; see InstallHome.
func InitArgs(i int) []string {
	return []string{"testnet", "k8s-home", "--from", replicaFilesDir, "--replica", strconv.Itoa(i), "--home", podHome}
}

func initContainer(o Options, i int) corev1.Container {
	return corev1.Container{
		Name:            initContainerName,
		Image:           o.Image,
		Args:            InitArgs(i),
		SecurityContext: containerSecurity(),
		VolumeMounts: []corev1.VolumeMount{
			{Name: replicaVolume, MountPath: replicaFilesDir, ReadOnly: true},
			{Name: configVolume, MountPath: podConfigDir},
		},
	}
}

func replicaContainer(c *cluster, o Options) corev1.Container {
	return corev1.Container{
		Name:            containerName,
		Image:           o.Image,
		Args:            []string{"node", "--home", podHome},
		Ports:           containerPorts(c.ports),
		SecurityContext: containerSecurity(),
		VolumeMounts: []corev1.VolumeMount{
			{Name: configVolume, MountPath: podConfigDir, ReadOnly: true},
			{Name: dataVolume, MountPath: c.ports.dataDir},
		},
		StartupProbe:   probe(c.ports, 60),
		LivenessProbe:  probe(c.ports, 6),
		ReadinessProbe: probe(c.ports, 3),
	}
}

// probe asks /metrics when the replicas serve it (it answers once the
// replica has opened its store and started), else tries the client port.
func probe(p podPorts, failures int32) *corev1.Probe {
	h := corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString(portClient)}}
	if p.metrics != 0 {
		h = corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/metrics", Port: intstr.FromString(portMetrics)}}
	}
	return &corev1.Probe{ProbeHandler: h, PeriodSeconds: 5, TimeoutSeconds: 3, FailureThreshold: failures}
}

func containerSecurity() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		RunAsNonRoot:             ptr(true),
		AllowPrivilegeEscalation: ptr(false),
		ReadOnlyRootFilesystem:   ptr(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

func ptr[T any](v T) *T { return &v }
