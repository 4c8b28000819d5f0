//go:build !unix

package local

import (
	"os"
	"syscall"
)

// Without process groups a replica is stopped by killing it.
func replicaProcAttr() *syscall.SysProcAttr { return nil }

func signalGroup(pid int, _ syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	return p.Kill()
}

var (
	sigTerm = syscall.Signal(0xf)
	sigKill = syscall.Signal(0x9)
)

// lowerPriority is a no-op without Unix priorities.
func lowerPriority(int) {}
