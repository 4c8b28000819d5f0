// Package k8s turns a testnet written by internal/testnet into Kubernetes
// manifests: a headless Service that gives every pod a stable DNS name, a
// StatefulSet of the replicas, and per replica a Secret with its node key
// and a ConfigMap with its config.toml and the genesis. The objects are the
// typed structs of k8s.io/api, written as one multi-document YAML file.
//
// A pod finds its own home by its ordinal: an init container running
// `pompe testnet k8s-home` (InstallHome) copies replica i's files from the
// mounted ConfigMaps and Secrets into an in-memory volume with the modes
// the replica requires, and the replica then runs `pompe node` on it.
package k8s
