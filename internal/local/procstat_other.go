//go:build !linux

package local

import (
	"errors"
	"os"
)

// procStatsSupported reports whether readProcStats can work here.
const procStatsSupported = false

func readProcStats(int) (float64, uint64, error) {
	return 0, 0, errors.New("local: process CPU and memory are only read on Linux")
}

// diskBytes is the space a file takes on disk; its size here.
func diskBytes(info os.FileInfo) uint64 { return uint64(info.Size()) }
