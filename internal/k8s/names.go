package k8s

import (
	"path"
	"strconv"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// Paths inside a pod.
const (
	// podHome is the replica's home; only its config/ and data
	// directories are volumes, the rest is the read-only image.
	podHome = "/pompe"
	// replicasDir holds every replica's files, as replicasDir/nodeI/NAME,
	// in the init step only.
	replicasDir = "/replicas"
)

var podConfigDir = path.Join(podHome, config.ConfigDirName)

// Object and volume names.
const (
	containerName     = "replica"
	initContainerName = "install-home"
	configVolume      = "config"
	replicasVolume    = "replicas"
	dataVolume        = "data"
	podNameEnv        = "POD_NAME"

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
func SecretName(i int) string { return PodName(i) + "-key" }

// ConfigMapName names the ConfigMap holding replica i's config and genesis.
func ConfigMapName(i int) string { return PodName(i) + "-config" }

// replicaDir is where the init step finds replica i's files.
func replicaDir(root string, i int) string { return path.Join(root, testnet.NodeDirName(i)) }

func selectorLabels() map[string]string {
	return map[string]string{labelName: AppName, labelComponent: "replica"}
}

func replicaLabels(i int) map[string]string {
	l := selectorLabels()
	l[labelReplica] = strconv.Itoa(i)
	return l
}
