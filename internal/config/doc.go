// Package config owns the on-disk description of a replica: its home
// directory layout, the cluster-wide genesis file, the node's own settings
// and its private key file.
//
// A home directory holds
//
//	config/config.toml   node settings (every key documented in the file)
//	config/genesis.toml  cluster definition, identical on every replica
//	config/node_key.toml this replica's private key seed (mode 0600)
//	data/                the store
//
// Loading is strict: unknown keys, out-of-range values and files that do
// not parse are errors naming the file, the key and the value, so a typo
// never silently falls back to a default.
package config
