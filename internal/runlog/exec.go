package runlog

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// ExecEntry is one line of a replica execution log: one executed command.
// A skipped duplicate (a command already executed) has no entry.
type ExecEntry struct {
	// Height of the committed block whose execution ran the command.
	Height uint64
	// Position is the index of the command's batch in the block's execution
	// order (batches sorted by (timestamp, digest)).
	Position uint32
	// Index is the command's index inside its batch.
	Index uint32
	// Digest of the batch.
	Digest Digest
	// Client and Seq identify the command.
	Client ClientID
	Seq    uint64
	// TsUs is the batch's assigned timestamp in microseconds; 0 in baseline
	// mode, which has no ordering phase.
	TsUs uint64
}

// ExecLogHeader is the first line of every execution log, without its
// newline. The tag before the first tab names the format and its version.
const ExecLogHeader = "#pompe-exec/1\theight\tposition\tindex\tdigest\tclient\tseq\tts"

// execFields is the number of tab-separated fields on an entry line.
const execFields = 7

// Buffer sizes. maxExecLineBytes bounds a line for the reader: entry lines
// are under 200 bytes, the rest is room for comments.
const (
	execWriteBufferBytes = 256 << 10
	maxExecLineBytes     = 64 << 10
)

// AppendExecEntry appends e as one log line, newline included.
func AppendExecEntry(dst []byte, e ExecEntry) []byte {
	dst = strconv.AppendUint(dst, e.Height, 10)
	dst = append(dst, '\t')
	dst = strconv.AppendUint(dst, uint64(e.Position), 10)
	dst = append(dst, '\t')
	dst = strconv.AppendUint(dst, uint64(e.Index), 10)
	dst = append(dst, '\t')
	dst = hex.AppendEncode(dst, e.Digest[:])
	dst = append(dst, '\t')
	dst = hex.AppendEncode(dst, e.Client[:])
	dst = append(dst, '\t')
	dst = strconv.AppendUint(dst, e.Seq, 10)
	dst = append(dst, '\t')
	dst = strconv.AppendUint(dst, e.TsUs, 10)
	return append(dst, '\n')
}

// ParseExecEntry parses one entry line, without its newline.
func ParseExecEntry(line []byte) (ExecEntry, error) {
	var fields [execFields][]byte
	n := 0
	for rest, more := line, true; more; n++ {
		if n == execFields {
			return ExecEntry{}, fmt.Errorf("runlog: more than %d fields", execFields)
		}
		fields[n], rest, more = cutField(rest)
	}
	if n != execFields {
		return ExecEntry{}, fmt.Errorf("runlog: %d fields, want %d", n, execFields)
	}
	var p fieldParser
	e := ExecEntry{
		Height:   p.decimal(fields[0], "height", math.MaxUint64),
		Position: uint32(p.decimal(fields[1], "position", math.MaxUint32)),
		Index:    uint32(p.decimal(fields[2], "index", math.MaxUint32)),
		Seq:      p.decimal(fields[5], "seq", math.MaxUint64),
		TsUs:     p.decimal(fields[6], "ts", math.MaxUint64),
	}
	p.hex(e.Digest[:], fields[3], "digest")
	p.hex(e.Client[:], fields[4], "client id")
	return e, p.err
}

// fieldParser keeps the first parse error, so a line is checked once.
type fieldParser struct{ err error }

func (p *fieldParser) decimal(b []byte, what string, max uint64) uint64 {
	if p.err != nil {
		return 0
	}
	v, ok := parseDecimal(b, max)
	if !ok {
		p.err = fmt.Errorf("runlog: bad %s %q", what, truncateForError(b))
	}
	return v
}

func (p *fieldParser) hex(dst, b []byte, what string) {
	if p.err == nil {
		p.err = decodeHexInto(dst, b, what)
	}
}

func truncateForError(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// ExecWriter writes an execution log. It buffers; call Flush to push lines
// to the file and Close when done. It must be used from one goroutine.
// After the first error every call returns that error.
type ExecWriter struct {
	out  lineWriter
	line []byte // reused line buffer
}

// NewExecWriter starts a new log on w, header first. Close flushes but does
// not close w.
func NewExecWriter(w io.Writer) *ExecWriter {
	return newExecWriter(w, nil, true)
}

func newExecWriter(w io.Writer, f *os.File, header bool) *ExecWriter {
	ew := &ExecWriter{out: newLineWriter(w, f, execWriteBufferBytes), line: make([]byte, 0, 256)}
	if header {
		ew.out.write([]byte(ExecLogHeader + "\n"))
	}
	return ew
}

// CreateExecLog creates (or truncates) the log at path and writes the
// header.
func CreateExecLog(path string) (*ExecWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("runlog: %w", err)
	}
	return newExecWriter(f, f, true), nil
}

// OpenExecLog opens the log at path for appending, creating it with a
// header if it does not exist or is empty. A torn last line left by a crash
// is cut off first, so the entries appended next start on a line of their
// own. An existing non-empty file must start with ExecLogHeader.
func OpenExecLog(path string) (*ExecWriter, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("runlog: %w", err)
	}
	keep, err := completeLinesLength(f)
	if err == nil && keep > 0 {
		err = checkExecHeader(f)
	}
	if err == nil {
		err = f.Truncate(keep)
	}
	if err == nil {
		_, err = f.Seek(keep, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("runlog: open %s: %w", path, err)
	}
	return newExecWriter(f, f, keep == 0), nil
}

func checkExecHeader(f *os.File) error {
	buf := make([]byte, len(ExecLogHeader)+1)
	if _, err := f.ReadAt(buf, 0); err != nil || string(buf) != ExecLogHeader+"\n" {
		return errors.New("not an execution log (header missing)")
	}
	return nil
}

// completeLinesLength returns the length of f up to and including its last
// newline (0 if it has none).
func completeLinesLength(f *os.File) (int64, error) {
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	const chunkBytes = 64 << 10
	buf := make([]byte, chunkBytes)
	for end := info.Size(); end > 0; {
		start := max(end-chunkBytes, 0)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		for i := n - 1; i >= 0; i-- {
			if buf[i] == '\n' {
				return start + int64(i) + 1, nil
			}
		}
		end = start
	}
	return 0, nil
}

// Write appends one entry.
func (w *ExecWriter) Write(e ExecEntry) error {
	if err := w.out.usable(); err != nil {
		return err
	}
	w.line = AppendExecEntry(w.line[:0], e)
	return w.out.write(w.line)
}

// Flush hands buffered lines to the operating system.
func (w *ExecWriter) Flush() error { return w.out.flush() }

// Close flushes, and if the writer owns its file, syncs and closes it.
// Calling Close again returns the first result.
func (w *ExecWriter) Close() error { return w.out.close() }

// Sync flushes the log and makes it durable.
func (w *ExecWriter) Sync() error { return w.out.sync() }

// ExecReader streams the entries of an execution log.
type ExecReader struct {
	lines     *lineReader
	sawHeader bool
}

// NewExecReader reads the log in r. An empty input is an empty log; any
// other input must start with ExecLogHeader.
func NewExecReader(r io.Reader) *ExecReader {
	return &ExecReader{lines: newLineReader(r, maxExecLineBytes)}
}

// Next returns the next entry, or io.EOF after the last. A torn last line
// gives an error wrapping ErrTruncated; errors carry the line number.
func (r *ExecReader) Next() (ExecEntry, error) {
	for {
		line, err := r.lines.next()
		if err != nil {
			return ExecEntry{}, err
		}
		if !r.sawHeader {
			if string(line) != ExecLogHeader {
				return ExecEntry{}, r.lines.fail(fmt.Errorf("runlog: not an execution log: header %q, want %q",
					truncateForError(line), ExecLogHeader))
			}
			r.sawHeader = true
			continue
		}
		if len(line) > 0 && line[0] == '#' {
			continue
		}
		e, err := ParseExecEntry(line)
		if err != nil {
			return ExecEntry{}, r.lines.fail(err)
		}
		return e, nil
	}
}
