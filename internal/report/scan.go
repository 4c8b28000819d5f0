package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// Phase is a command phase a client measures.
type Phase int

const (
	Ordering  Phase = iota // first send to 2f+1 sequence acks (Pompe only)
	Execution              // first send to the accepted execution result
)

// sample is one command finishing one phase: when (Unix microseconds) and
// how long after its first send.
type sample struct {
	phase  Phase
	endUs  int64
	latUs  int64
	sentUs int64
}

// scan streams every sample of the source's files to f.
func (s *source) scan(f func(sample)) error {
	if s.kind == FromRecords {
		for _, path := range s.records {
			if err := scanRecords(path, f); err != nil {
				return err
			}
		}
		return nil
	}
	for _, l := range []struct {
		paths []string
		phase Phase
	}{{s.order, Ordering}, {s.exec, Execution}} {
		for _, path := range l.paths {
			if err := scanLatencyLog(path, l.phase, f); err != nil {
				return err
			}
		}
	}
	return nil
}

func scanRecords(path string, f func(sample)) error {
	return eachClientRecord(path, func(rec runlog.ClientRecord) error {
		recordSamples(rec, f)
		return nil
	})
}

// eachClientRecord streams the records of one client records file to f,
// stopping at f's first error.
func eachClientRecord(path string, f func(runlog.ClientRecord) error) error {
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer file.Close()
	r := runlog.NewClientRecordReader(file)
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) || errors.Is(err, runlog.ErrTruncated) {
			// A torn last line is a client that died mid-write: the
			// records before it stand.
			return nil
		}
		if err != nil {
			return fmt.Errorf("report: %s: %w", path, err)
		}
		if err := f(rec); err != nil {
			return err
		}
	}
}

// recordSamples turns one record into its samples, exactly as the load
// generator measured the command.
func recordSamples(rec runlog.ClientRecord, f func(sample)) {
	if rec.SequencedUs != 0 {
		f(sample{phase: Ordering, endUs: rec.SequencedUs, latUs: rec.SequencedUs - rec.SentUs, sentUs: rec.SentUs})
	}
	if rec.ExecutedUs != 0 {
		f(sample{phase: Execution, endUs: rec.ExecutedUs, latUs: rec.ExecutedUs - rec.SentUs, sentUs: rec.SentUs})
	}
}

// Bounds of the latency log reader.
const (
	maxLatencyLineBytes = 4 << 10
	latencyTimeLayout   = "2006-01-02 15:04:05.000000"
	maxLatencySeconds   = 1e9
)

// scanLatencyLog reads a reference-format log: "YYYY-MM-DD
// HH:MM:SS.uuuuuu [...] <seconds>", the time (local) being when the phase
// ended. Blank lines are skipped; anything else that does not parse is an
// error naming the line.
func scanLatencyLog(path string, phase Phase, f func(sample)) error {
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 0, 256), maxLatencyLineBytes)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		end, lat, err := parseLatencyLine(line)
		if err != nil {
			return fmt.Errorf("report: %s:%d: %w", path, n, err)
		}
		endUs := end.UnixMicro()
		f(sample{phase: phase, endUs: endUs, latUs: lat, sentUs: endUs - lat})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("report: %s: %w", path, err)
	}
	return nil
}

// parseLatencyLine returns the line's end time and latency in
// microseconds.
func parseLatencyLine(line string) (time.Time, int64, error) {
	if len(line) < len(latencyTimeLayout) {
		return time.Time{}, 0, fmt.Errorf("line %q: want \"YYYY-MM-DD HH:MM:SS.uuuuuu [...] seconds\"", line)
	}
	end, err := time.ParseInLocation(latencyTimeLayout, line[:len(latencyTimeLayout)], time.Local)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("line %q: time: %w", line, err)
	}
	fields := strings.Fields(line[len(latencyTimeLayout):])
	if len(fields) == 0 {
		return time.Time{}, 0, fmt.Errorf("line %q: no latency", line)
	}
	sec, err := strconv.ParseFloat(fields[len(fields)-1], 64)
	if err != nil || math.IsNaN(sec) || sec < 0 || sec > maxLatencySeconds {
		return time.Time{}, 0, fmt.Errorf("line %q: latency %q is not a number of seconds", line, fields[len(fields)-1])
	}
	return end, int64(math.Round(sec * 1e6)), nil
}
