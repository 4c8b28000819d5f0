//go:build unix && !linux

package local

import "syscall"

// replicaProcAttr puts a replica in its own process group.
func replicaProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
