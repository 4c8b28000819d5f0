// Package e2e holds end-to-end tests that run real `pompe node` processes
// on loopback addresses: replicas killed with SIGKILL and restarted under
// load, leader crashes, hostile bytes on live peer and client ports, and
// connections that never finish their handshake. The pompe binary is built
// once per test run; every replica runs in a process group of its own and
// is killed with it when a test ends.
//
// The package has no code of its own: everything is in its tests.
package e2e
