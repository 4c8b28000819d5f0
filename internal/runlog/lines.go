package runlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrTruncated marks a last line without its terminating newline: the torn
// tail of a log whose writer stopped mid-line. Nothing after it exists.
var ErrTruncated = errors.New("runlog: truncated last line")

// ErrLineTooLong is returned for a line longer than the reader's bound.
var ErrLineTooLong = errors.New("runlog: line too long")

// lineReader yields newline-terminated lines, with bounded length, counting
// them for error messages.
type lineReader struct {
	br     *bufio.Reader
	lineNo int // number of the line last returned, 1-based
	err    error
}

func newLineReader(r io.Reader, maxLineBytes int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, maxLineBytes)}
}

// next returns the next line without its newline. The slice is valid until
// the following call. Errors are sticky.
func (lr *lineReader) next() ([]byte, error) {
	if lr.err != nil {
		return nil, lr.err
	}
	line, err := lr.br.ReadSlice('\n')
	switch {
	case err == nil:
		lr.lineNo++
		return line[:len(line)-1], nil
	case errors.Is(err, bufio.ErrBufferFull):
		lr.err = fmt.Errorf("line %d: %w (more than %d bytes)", lr.lineNo+1, ErrLineTooLong, lr.br.Size())
	case errors.Is(err, io.EOF) && len(line) > 0:
		lr.err = fmt.Errorf("line %d: %w", lr.lineNo+1, ErrTruncated)
	default:
		lr.err = err
	}
	return nil, lr.err
}

// fail records a parse error for the line last returned.
func (lr *lineReader) fail(err error) error {
	lr.err = fmt.Errorf("line %d: %w", lr.lineNo, err)
	return lr.err
}

// cutField splits the first tab-separated field off line.
func cutField(line []byte) (field, rest []byte, more bool) {
	i := bytes.IndexByte(line, '\t')
	if i < 0 {
		return line, nil, false
	}
	return line[:i], line[i+1:], true
}

// parseDecimal parses an unsigned decimal without allocating: digits only,
// no sign, no empty field, no overflow past max.
func parseDecimal(b []byte, max uint64) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (max-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}
