// Package byzantine exists only to test pompe against misbehaving replicas.
// It turns one replica's outgoing messages into a Byzantine replica's: a
// silent one, an equivocating or double-voting one, one that sends garbage,
// one that lies about timestamps (far in the past or future, in reverse
// arrival order, delayed for chosen clients), and a leader that corrupts its
// slots (omits or reorders batches, invents a timestamp, proposes a boundary
// in the future, collects from only f+1 correct replicas, reverses a
// baseline block).
//
// A Transformer is deterministic given its random source: the simulator
// (internal/sim) and real `pompe node` processes (internal/node, hidden
// --byzantine flag) share the same code. Every lie that a signature could
// expose is re-signed with the replica's own key, so that only the
// protocol's checks can catch it. Nothing here is ever enabled by default.
package byzantine
