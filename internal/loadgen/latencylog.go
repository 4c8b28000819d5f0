package loadgen

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"time"
)

// latencyLogBufferBytes is the write buffer of one latency log.
const latencyLogBufferBytes = 64 << 10

// OrderLogName and ExecLogName are client k's latency log file names, as
// the reference prototype named them.
func OrderLogName(client int) string { return "client" + strconv.Itoa(client) + ".order.log" }
func ExecLogName(client int) string  { return "client" + strconv.Itoa(client) + ".exec.log" }

// appendLatencyLine appends one reference-format line: the local time at
// which the measured phase ended, then the latency in seconds.
func appendLatencyLine(dst []byte, at time.Time, latency time.Duration) []byte {
	dst = at.AppendFormat(dst, "2006-01-02 15:04:05.000000")
	dst = append(dst, " [hotstuff info] "...)
	dst = strconv.AppendFloat(dst, latency.Seconds(), 'f', 6, 64)
	return append(dst, '\n')
}

// latencyLog writes one latency log. Errors are sticky: the first one is
// kept and reported by close.
type latencyLog struct {
	f    *os.File
	w    *bufio.Writer
	line []byte
	err  error
}

func createLatencyLog(path string) (*latencyLog, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	return &latencyLog{f: f, w: bufio.NewWriterSize(f, latencyLogBufferBytes)}, nil
}

func (l *latencyLog) write(at time.Time, latency time.Duration) {
	if l == nil || l.err != nil {
		return
	}
	l.line = appendLatencyLine(l.line[:0], at, latency)
	_, l.err = l.w.Write(l.line)
}

func (l *latencyLog) close() error {
	if l == nil {
		return nil
	}
	if err := l.w.Flush(); err != nil && l.err == nil {
		l.err = err
	}
	if err := l.f.Close(); err != nil && l.err == nil {
		l.err = err
	}
	if l.err != nil {
		return fmt.Errorf("loadgen: %s: %w", l.f.Name(), l.err)
	}
	return nil
}
