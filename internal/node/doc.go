// Package node runs one replica for real: it loads a home directory, opens
// the pebble store, starts the TLS transport, and drives the deterministic
// replica state machine from a single goroutine. Each turn of the loop takes
// one input (a peer message, a client message or a timer tick), then drains
// whatever else is already queued, so that a burst of inputs shares one
// synced storage write (group commit). It then persists the Ready's writes,
// sends its messages, executes committed blocks on the application, answers
// clients, appends to the execution log and re-arms the timer for the
// replica's next wake-up.
//
// A storage error (a full disk) stops the node: nothing that depends on the
// failed write is sent, so a replica never acknowledges what it could not
// persist. It restarts from what is on disk.
package node
