// Command pompe-k8s generates a testnet whose replicas run as the pods of
// a Kubernetes cluster: the homes and client keys that `pompe testnet`
// writes, addressed by the pods' DNS names, and OUT/k8s/pompe.yaml with
// the Service, StatefulSets, Secrets and ConfigMaps that run them (see
// docs/kubernetes.md).
//
// It is a command of its own, not a flag of `pompe testnet`, because the
// typed manifests take k8s.io/api and apimachinery, which would double the
// cold build of the replica binary. The pods run the pompe binary only.
package main
