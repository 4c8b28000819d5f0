// Package testnet lays out a local cluster on disk: one home directory per
// replica (sharing one genesis, each with a fresh key), client key files,
// and a testnet.toml summary that clients and benchmarks load to find the
// cluster. Addresses are on loopback only.
package testnet
