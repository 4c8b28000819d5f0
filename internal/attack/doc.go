// Package attack holds the hostile clients that the resource-exhaustion
// tests (test/attack) and `pompe local --attack KIND` run against real
// replicas: idle TLS connections from one IP, connections that never start
// TLS from many loopback addresses, frames that announce megabytes and
// stall, frames of millions of empty repeated entries, and sequence
// requests whose proofs carry bad signatures.
//
// Every attack is bounded in connections and runs until its context ends;
// closed connections are redialled, as a real attacker would, so that a
// defence that only delays is not mistaken for one that holds. The package
// uses only the public wire format and TLS identities, never replica
// internals: what it does, anyone who can reach the ports can do.
package attack
