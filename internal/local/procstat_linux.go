package local

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// clockTicksPerSecond is USER_HZ, the unit of /proc/<pid>/stat times,
// which Linux fixes at 100 for user space on every architecture Go runs on.
const clockTicksPerSecond = 100

// procStatsSupported reports whether readProcStats can work here.
const procStatsSupported = true

// readProcStats reads a process's CPU time (user + system) and resident
// memory from /proc.
func readProcStats(pid int) (cpuSeconds float64, rssBytes uint64, err error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	ticks, err := parseStatCPUTicks(stat)
	if err != nil {
		return 0, 0, fmt.Errorf("local: /proc/%d/stat: %w", pid, err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	rss, err := parseStatusRSS(status)
	if err != nil {
		return 0, 0, fmt.Errorf("local: /proc/%d/status: %w", pid, err)
	}
	return float64(ticks) / clockTicksPerSecond, rss, nil
}

// parseStatCPUTicks returns utime + stime (fields 14 and 15) of a
// /proc/<pid>/stat line. The command name (field 2) is in parentheses and
// may itself hold spaces and parentheses, so fields are counted from the
// last closing one.
func parseStatCPUTicks(stat []byte) (uint64, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("no command name in %q", stat)
	}
	fields := strings.Fields(string(stat[end+1:]))
	// fields[0] is field 3 (state), so field k is fields[k-3].
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return 0, fmt.Errorf("%d fields after the command name, want more than %d", len(fields), stime)
	}
	u, err := strconv.ParseUint(fields[utime], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("utime %q: %w", fields[utime], err)
	}
	s, err := strconv.ParseUint(fields[stime], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stime %q: %w", fields[stime], err)
	}
	return u + s, nil
}

// parseStatusRSS returns VmRSS of a /proc/<pid>/status file in bytes. A
// zombie has no VmRSS line: 0.
func parseStatusRSS(status []byte) (uint64, error) {
	for line := range strings.SplitSeq(string(status), "\n") {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmRSS line %q", line)
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS %q: %w", f[0], err)
		}
		return kb << 10, nil
	}
	return 0, nil
}

// diskBytes is the space a file takes on disk: its allocated blocks.
func diskBytes(info os.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Blocks) * 512
	}
	return uint64(info.Size())
}
