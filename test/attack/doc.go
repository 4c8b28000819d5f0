// Package attack runs the hostile clients of internal/attack against real
// `pompe node` processes and checks that the replicas hold: every correct
// replica stays up and below a resident-memory bound, and a correct
// client's puts keep completing, during and after each attack.
//
// Replicas run with GOMEMLIMIT=256MiB and an address-space limit
// (RLIMIT_AS, set through prlimit(1) when it is installed, else through the
// shell's ulimit -v) standing in for a small VM: a replica that tries to
// allocate its way through an attack dies instead of swapping. Resident
// memory is read from /proc/PID/status (VmRSS) ten times a second. Each
// attack is bounded in connections and time; each test takes well under
// 30 s. POMPE_ATTACK_BINARY names a pompe binary to run instead of building
// one (to measure another version).
package attack
