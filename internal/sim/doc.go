// Package sim runs whole pompe clusters inside one process, deterministically:
// every replica is the real replica state machine over a simulated network
// (delay, jitter, drop, duplication, reordering, partitions that heal), a
// simulated disk (storage.Mem, which loses unsynced writes on a crash) and a
// simulated clock, all driven by one seeded random source and an event queue
// ordered by (time, sequence). The same seed replays the same run, event for
// event.
//
// Faults are scheduled in a window at the start of the run: crashes and
// restarts from the simulated disk, partitions, and Byzantine replicas
// (silent, equivocating leader, double voting, garbage messages). After the
// window the network is healed and becomes timely, and the run continues so
// that liveness can be checked. At the end the simulator checks:
//   - consistency: no two correct replicas committed different blocks at the
//     same height, nor executed different commands at the same place;
//   - liveness: after healing, every correct replica kept committing, and
//     every command the correct clients submitted executed.
package sim
