//go:build unix && !linux

package local

import "syscall"

// replicaProcAttr puts a replica in its own process group.
func replicaProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// lowerPriority gives a helper process (the --attack client) the lowest
// CPU priority, so that it uses only what the replicas and the load leave.
func lowerPriority(pid int) { _ = syscall.Setpriority(syscall.PRIO_PROCESS, pid, 19) }
