// Package k8shome is the part of the Kubernetes deployment that runs inside
// a replica's pod: InstallHome, the init step `pompe testnet k8s-home`,
// copies the replica's own files from its mounted ConfigMap and Secret into
// the home `pompe node` then runs on.
//
// It is apart from package k8s, which builds the manifests from the typed
// structs of k8s.io/api, so that the replica binary (cmd/pompe) does not
// import k8s.io at all: those packages cost about as much to compile as
// the rest of pompe. Only cmd/pompe-k8s, which writes the manifests,
// imports package k8s. A test in cmd/pompe checks that k8s.io stays off
// its import graph.
//
// ReadBounded and ReplaceFile are shared with package k8s, so that the
// manifest writer and the init step bound and write files the same way.
package k8shome
