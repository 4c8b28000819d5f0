package k8s

import (
	"path"
	"strconv"

	"github.com/pompe-bft/pompe/internal/config"
)

// Paths inside a pod.
const (
	// podHome is the replica's home; only its config/ and data
	// directories are volumes, the rest is the read-only image.
	podHome = "/pompe"
	// replicaFilesDir holds the pod's own replica files (its ConfigMap
	// and its Secret) as replicaFilesDir/NAME, in the init step only.
	replicaFilesDir = "/replica"
)

var podConfigDir = path.Join(podHome, config.ConfigDirName)

// Object and volume names.
const (
	containerName     = "replica"
	initContainerName = "install-home"
	configVolume      = "config"
	replicaVolume     = "replica"
	dataVolume        = "data"

	portPeer    = "peer"
	portClient  = "client"
	portMetrics = "metrics"

	// nonRootID is the "nonroot" user and group of distroless images,
	// which deploy/Dockerfile runs as.
	nonRootID int64 = 65532

	labelName      = "app.kubernetes.io/name"
	labelComponent = "app.kubernetes.io/component"
	labelReplica   = "pompe/replica-index"
	annotCluster   = "pompe/cluster-id"
)

// SecretName names the Secret holding replica i's node key.
func SecretName(i int) string { return StatefulSetName(i) + "-key" }

// ConfigMapName names the ConfigMap holding replica i's config and genesis.
func ConfigMapName(i int) string { return StatefulSetName(i) + "-config" }

func selectorLabels() map[string]string {
	return map[string]string{labelName: AppName, labelComponent: "replica"}
}

func replicaLabels(i int) map[string]string {
	l := selectorLabels()
	l[labelReplica] = strconv.Itoa(i)
	return l
}
