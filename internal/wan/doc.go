// Package wan owns wide-area latency matrices: a TOML file of regions and
// the one-way delay, jitter and loss between every pair of them, and the
// translation of a matrix into link emulation, for replicas (their
// [emulation] config) and for clients (pkg/client's link emulator), from
// the region each of them is placed in.
package wan
