package k8s

import "fmt"

// readme explains, next to the manifests, how to run them.
func readme(o Options, n int) string {
	return fmt.Sprintf(`Kubernetes manifests of this testnet: %[1]d replicas in namespace %[2]q.

%[3]s holds a headless Service %[4]q and per replica i a StatefulSet
%[4]s-i of one pod, a Secret (its node key) and a ConfigMap (its config.toml
and the genesis). Replica i runs in pod %[4]s-i-0 and is reached at
%[4]s-i-0.%[4]s.%[2]s.svc.%[5]s (the address in the genesis).
Each pod mounts its own replica's Secret and no other, so a compromised
worker node holds only the keys of the replicas scheduled on it. The file
holds every private key: keep it as secret as the node*/config directories.

The Service publishes the peer and client ports only. Replicas serve
/metrics on port %[8]d of their pod for the kubelet's probes and for a
scraper that targets pods; pprof is off there (metrics.pprof), as on every
listener that is not loopback. Anyone who can reach a pod's IP can read its
metrics: restrict that with a NetworkPolicy where the cluster enforces them.

1. Build the image from the repository root and push it where the cluster
   pulls from (the manifests use %[6]q; choose another with pompe-k8s --image):

     docker build -f deploy/Dockerfile -t %[6]s .
     docker push %[6]s

   (on a local kind cluster: kind load docker-image %[6]s)

2. Create the namespace and apply, from this directory:

     kubectl create namespace %[2]s
     kubectl apply -f %[3]s

3. Watch the replicas start and read their logs:

     kubectl -n %[2]s get pods -l app.kubernetes.io/name=%[4]s
     kubectl -n %[2]s logs %[4]s-0-0                  # replica 0
     kubectl -n %[2]s logs %[4]s-0-0 -c install-home  # its init step

Each pod keeps its store on a %[7]s volume claim (data-%[4]s-0-0, ...). The
addresses in the genesis, testnet.toml and the client keys are the pods'
DNS names, so clients run inside the cluster. A new testnet needs new
claims:

     kubectl -n %[2]s delete statefulset,service,secret,configmap -l app.kubernetes.io/name=%[4]s
     kubectl -n %[2]s delete pvc -l app.kubernetes.io/name=%[4]s

These manifests were checked by decoding them with the Kubernetes API
types, not by running them: the machine that generated them has no
container engine or cluster.
`, n, o.Namespace, YAMLFileName, AppName, o.ClusterDomain, o.Image, o.StorageSize, DefaultMetricsPort)
}
