//go:build linux

package local

import "syscall"

// replicaProcAttr puts a replica in its own process group and has the
// kernel kill it if the runner's thread that started it dies.
func replicaProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
