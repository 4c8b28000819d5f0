// Package k8s turns a testnet written by internal/testnet into Kubernetes
// manifests: a headless Service that gives every pod a stable DNS name, and
// per replica a StatefulSet of one pod, a Secret with its node key and a
// ConfigMap with its config.toml and the genesis. The objects are the
// typed structs of k8s.io/api, written as one multi-document YAML file.
//
// Each replica has its own StatefulSet so that its pod mounts its own
// Secret and no other replica's key (a template shared by all pods would
// have to mount every key). An init container running `pompe testnet
// k8s-home --replica i` (k8shome.InstallHome) copies replica i's files from its
// mounted ConfigMap and Secret into an in-memory volume with the modes the
// replica requires, and the replica then runs `pompe node` on it.
//
// Only cmd/pompe-k8s imports this package. The replica binary, cmd/pompe,
// must not: k8s.io/api and apimachinery would double its cold build. What
// the pod itself runs lives in the light package k8shome.
package k8s
