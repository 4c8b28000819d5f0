package runlog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

var errClosed = errors.New("runlog: writer is closed")

// lineWriter is the buffered output shared by the log writers. Its first
// error is sticky: a log with a hole in it is worse than a log that stops.
type lineWriter struct {
	bw     *bufio.Writer
	file   *os.File // non-nil if the writer owns the file
	err    error
	closed bool
}

func newLineWriter(w io.Writer, f *os.File, bufferBytes int) lineWriter {
	return lineWriter{bw: bufio.NewWriterSize(w, bufferBytes), file: f}
}

func (w *lineWriter) usable() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errClosed
	}
	return nil
}

func (w *lineWriter) write(line []byte) error {
	if err := w.usable(); err != nil {
		return err
	}
	if _, err := w.bw.Write(line); err != nil {
		w.err = fmt.Errorf("runlog: %w", err)
	}
	return w.err
}

func (w *lineWriter) flush() error {
	if err := w.usable(); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("runlog: %w", err)
	}
	return w.err
}

// sync flushes and makes the file durable (when the writer owns a file).
func (w *lineWriter) sync() error {
	if err := w.flush(); err != nil {
		return err
	}
	if w.file != nil {
		if err := w.file.Sync(); err != nil {
			w.err = fmt.Errorf("runlog: %w", err)
		}
	}
	return w.err
}

func (w *lineWriter) close() error {
	if w.closed {
		return w.err
	}
	w.flush()
	w.closed = true
	if w.file != nil {
		if err := w.file.Sync(); err != nil && w.err == nil {
			w.err = fmt.Errorf("runlog: %w", err)
		}
		if err := w.file.Close(); err != nil && w.err == nil {
			w.err = fmt.Errorf("runlog: %w", err)
		}
	}
	return w.err
}
