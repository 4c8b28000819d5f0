// Package local runs a throw-away cluster on this machine and measures it:
// it generates a loopback testnet (distinct 127.0.0.x addresses, free
// ports), starts every replica as a separate process of the pompe binary,
// waits until each accepts client connections, drives it with
// internal/loadgen for a fixed window, stops the replicas (SIGTERM to each
// replica's own process group, SIGKILL after a grace period), and checks the
// collected execution logs and client records with internal/checker.
//
// Every replica runs in a process group of its own, so that a Ctrl-C on the
// terminal reaches only the runner, which then stops the replicas in order;
// on Linux the replicas are also killed if the runner dies.
package local
