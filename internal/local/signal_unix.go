//go:build unix

package local

import (
	"errors"
	"syscall"
)

// signalGroup sends sig to the process group led by pid (each replica leads
// its own). A group that is already gone is not an error.
func signalGroup(pid int, sig syscall.Signal) error {
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

var (
	sigTerm = syscall.SIGTERM
	sigKill = syscall.SIGKILL
)
