// Package outbox holds the effects the deterministic replica components
// (consensus core, mempool, Pompe ordering) produce for their driver: writes
// to persist, messages to replicas and clients, and committed blocks in
// execution order. Components append; the replica drains it into one Ready.
package outbox
