package runlog

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// ClientRecord is one line of a client record file: everything a client
// knows about one command it issued. Times ending in Us are Unix times in
// microseconds read from the client's clock; timestamps (ReplicaTs,
// AssignedTsUs) are replica clock values in microseconds.
type ClientRecord struct {
	Client ClientID `json:"client"`
	Seq    uint64   `json:"seq"`
	// SentUs is when the client first sent the command.
	SentUs int64 `json:"sent_us"`
	// ReplicaTs holds every timestamp any replica gave the command's
	// batches, over all attempts. Empty in baseline mode.
	ReplicaTs []ReplicaTimestamp `json:"replica_ts"`
	// AssignedTsUs is the timestamp of the attempt that was sequenced (the
	// median the client computed); 0 if none was, and in baseline mode.
	AssignedTsUs uint64 `json:"assigned_ts"`
	// Attempts is the number of ordering attempts (batches with distinct
	// digests) the command went through.
	Attempts uint32 `json:"attempts"`
	// SequencedUs is when the command's batch gathered 2f+1 sequence acks;
	// 0 if it never did, and in baseline mode.
	SequencedUs int64 `json:"sequenced_us"`
	// ExecutedUs is when the client accepted the execution result (f+1
	// matching replies); 0 if it never did.
	ExecutedUs int64 `json:"executed_us"`
	// Height, Position and Digest say where the command executed: block
	// height, batch position in the block, batch digest. Zero (and "" for
	// the digest) if it did not execute.
	Height   uint64 `json:"height"`
	Position uint32 `json:"position"`
	Digest   Digest `json:"digest"`
}

// ReplicaTimestamp is one timestamp a replica gave a command.
type ReplicaTimestamp struct {
	Replica uint32 `json:"replica"`
	TsUs    uint64 `json:"ts"`
}

// Buffer sizes. maxClientRecordLineBytes bounds a line for the reader; it
// holds thousands of replica timestamps.
const (
	clientWriteBufferBytes   = 256 << 10
	maxClientRecordLineBytes = 1 << 20
)

// AppendClientRecord appends r as one JSON line, newline included. The
// output is what encoding/json would produce for r, field for field, but
// formatted by hand: client processes write one line per command.
func AppendClientRecord(dst []byte, r ClientRecord) []byte {
	dst = append(dst, `{"client":"`...)
	dst = hex.AppendEncode(dst, r.Client[:])
	dst = append(dst, `","seq":`...)
	dst = strconv.AppendUint(dst, r.Seq, 10)
	dst = append(dst, `,"sent_us":`...)
	dst = strconv.AppendInt(dst, r.SentUs, 10)
	dst = append(dst, `,"replica_ts":[`...)
	for i, ts := range r.ReplicaTs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"replica":`...)
		dst = strconv.AppendUint(dst, uint64(ts.Replica), 10)
		dst = append(dst, `,"ts":`...)
		dst = strconv.AppendUint(dst, ts.TsUs, 10)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"assigned_ts":`...)
	dst = strconv.AppendUint(dst, r.AssignedTsUs, 10)
	dst = append(dst, `,"attempts":`...)
	dst = strconv.AppendUint(dst, uint64(r.Attempts), 10)
	dst = append(dst, `,"sequenced_us":`...)
	dst = strconv.AppendInt(dst, r.SequencedUs, 10)
	dst = append(dst, `,"executed_us":`...)
	dst = strconv.AppendInt(dst, r.ExecutedUs, 10)
	dst = append(dst, `,"height":`...)
	dst = strconv.AppendUint(dst, r.Height, 10)
	dst = append(dst, `,"position":`...)
	dst = strconv.AppendUint(dst, uint64(r.Position), 10)
	dst = append(dst, `,"digest":"`...)
	if !r.Digest.IsZero() {
		dst = hex.AppendEncode(dst, r.Digest[:])
	}
	return append(dst, "\"}\n"...)
}

// ClientRecordWriter writes a client record file. It buffers; call Flush
// to push lines to the file and Close when done. It must be used from one
// goroutine. After the first error every call returns that error.
type ClientRecordWriter struct {
	out  lineWriter
	line []byte
}

// NewClientRecordWriter writes records to w. Close flushes but does not
// close w.
func NewClientRecordWriter(w io.Writer) *ClientRecordWriter {
	return newClientRecordWriter(w, nil)
}

func newClientRecordWriter(w io.Writer, f *os.File) *ClientRecordWriter {
	return &ClientRecordWriter{out: newLineWriter(w, f, clientWriteBufferBytes), line: make([]byte, 0, 512)}
}

// CreateClientRecords creates (or truncates) the record file at path.
func CreateClientRecords(path string) (*ClientRecordWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("runlog: %w", err)
	}
	return newClientRecordWriter(f, f), nil
}

// Write appends one record.
func (w *ClientRecordWriter) Write(r ClientRecord) error {
	if err := w.out.usable(); err != nil {
		return err
	}
	w.line = AppendClientRecord(w.line[:0], r)
	return w.out.write(w.line)
}

// Flush hands buffered lines to the operating system.
func (w *ClientRecordWriter) Flush() error { return w.out.flush() }

// Close flushes, and if the writer owns its file, syncs and closes it.
func (w *ClientRecordWriter) Close() error { return w.out.close() }

// ClientRecordReader streams the records of a client record file. Unknown
// fields are ignored, so that the format can gain fields without breaking
// readers; missing fields read as zero.
type ClientRecordReader struct {
	lines *lineReader
}

// NewClientRecordReader reads the records in r.
func NewClientRecordReader(r io.Reader) *ClientRecordReader {
	return &ClientRecordReader{lines: newLineReader(r, maxClientRecordLineBytes)}
}

// Next returns the next record, or io.EOF after the last. Blank lines are
// skipped. A torn last line gives an error wrapping ErrTruncated; errors
// carry the line number.
func (r *ClientRecordReader) Next() (ClientRecord, error) {
	for {
		line, err := r.lines.next()
		if err != nil {
			return ClientRecord{}, err
		}
		if len(line) == 0 {
			continue
		}
		var rec ClientRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return ClientRecord{}, r.lines.fail(fmt.Errorf("runlog: client record: %w", err))
		}
		return rec, nil
	}
}

// EachClientRecord calls fn for every record of every client record file in
// dir, in file order; a file cut short by a crash ends at its last whole
// record.
func EachClientRecord(dir string, fn func(ClientRecord)) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, ok := ParseClientRecordsName(e.Name()); !ok {
			continue
		}
		if err := eachInFile(filepath.Join(dir, e.Name()), fn); err != nil {
			return err
		}
	}
	return nil
}

func eachInFile(path string, fn func(ClientRecord)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := NewClientRecordReader(f)
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) || errors.Is(err, ErrTruncated) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		fn(rec)
	}
}
