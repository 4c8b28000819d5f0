//go:build unix

package local

import "syscall"

// freezeGroup stops (SIGSTOP) or continues (SIGCONT) a replica's process
// group.
func freezeGroup(pid int, stop bool) error {
	if stop {
		return signalGroup(pid, syscall.SIGSTOP)
	}
	return signalGroup(pid, syscall.SIGCONT)
}
