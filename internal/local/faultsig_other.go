//go:build !unix

package local

import "errors"

// freezeGroup needs job-control signals, which this platform lacks.
func freezeGroup(int, bool) error {
	return errors.New("local: pausing a replica needs SIGSTOP (unix only)")
}
