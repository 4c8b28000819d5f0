// Package replica composes one replica's deterministic state machine: the
// HotStuff core plus the payload rules of the cluster's mode (baseline
// mempool, or Pompe ordering). It routes every input to the component that
// owns it and merges their effects into one Ready, which the node (real
// network and disk) and the simulator (simulated ones) drive the same way:
//
//	r.Step / r.StepClient / r.Tick  // inputs, each with the current time
//	rd := r.Ready()                 // effects
//	persist rd.Writes (synced), then send rd.Messages and rd.Client,
//	then execute rd.Committed, and call Tick again by r.WakeAt().
package replica
