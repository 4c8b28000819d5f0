package node

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// NewLogger builds the slog logger a config asks for.
func NewLogger(level, format string, w io.Writer) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	if strings.EqualFold(format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// lastLoggedHeight reads the last complete entry of an execution log, so
// that replay after a restart does not log a command twice.
func lastLoggedHeight(path string) (runlog.ExecEntry, error) {
	var zero runlog.ExecEntry
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return zero, nil
	}
	if err != nil {
		return zero, fmt.Errorf("node: execution log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return zero, err
	}
	// The last complete line is within the last few KiB.
	const tail = 64 << 10
	off := st.Size() - tail
	if off < 0 {
		off = 0
	}
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return zero, err
	}
	end := bytes.LastIndexByte(buf, '\n')
	if end < 0 {
		return zero, nil
	}
	buf = buf[:end]
	start := bytes.LastIndexByte(buf, '\n') + 1
	line := buf[start:]
	if len(line) == 0 || line[0] == '#' {
		return zero, nil
	}
	e, err := runlog.ParseExecEntry(line)
	if err != nil {
		return zero, fmt.Errorf("node: execution log %s: last line: %w", path, err)
	}
	return e, nil
}
