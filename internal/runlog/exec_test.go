package runlog

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func sampleEntry(i uint64) ExecEntry {
	e := ExecEntry{Height: 10 + i/4, Position: uint32(i % 4), Index: uint32(i % 3), Seq: i, TsUs: 1_700_000_000_000_000 + i}
	e.Digest[0], e.Digest[31] = byte(i), 0xab
	e.Client[0], e.Client[15] = 0xc1, byte(i)
	return e
}

func readAllExec(r io.Reader) ([]ExecEntry, error) {
	er := NewExecReader(r)
	var out []ExecEntry
	for {
		e, err := er.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
}

func TestExecLogRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		entries []ExecEntry
	}{
		{"empty log", nil},
		{"one entry", []ExecEntry{sampleEntry(1)}},
		{"zero entry", []ExecEntry{{}}},
		{"extremes", []ExecEntry{{Height: math.MaxUint64, Position: math.MaxUint32, Index: math.MaxUint32,
			Seq: math.MaxUint64, TsUs: math.MaxUint64}}},
		{"many", func() []ExecEntry {
			var es []ExecEntry
			for i := range uint64(1000) {
				es = append(es, sampleEntry(i))
			}
			return es
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewExecWriter(&buf)
			for _, e := range tt.entries {
				if err := w.Write(e); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(buf.String(), ExecLogHeader+"\n") {
				t.Fatalf("log does not start with the header: %q", buf.String())
			}
			got, err := readAllExec(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.entries) {
				t.Fatalf("read %d entries, wrote %d", len(got), len(tt.entries))
			}
			for i := range got {
				if got[i] != tt.entries[i] {
					t.Fatalf("entry %d: read %+v, wrote %+v", i, got[i], tt.entries[i])
				}
			}
		})
	}
}

func TestExecLineFormat(t *testing.T) {
	e := ExecEntry{Height: 7, Position: 2, Index: 1, Seq: 42, TsUs: 1700000000123456}
	e.Digest[0] = 0xff
	e.Client[15] = 0x01
	want := "7\t2\t1\tff" + strings.Repeat("00", 31) + "\t" + strings.Repeat("00", 15) + "01\t42\t1700000000123456\n"
	if got := string(AppendExecEntry(nil, e)); got != want {
		t.Fatalf("line = %q\nwant   %q", got, want)
	}
}

func TestExecReaderRejectsBadInput(t *testing.T) {
	good := strings.TrimSuffix(string(AppendExecEntry(nil, sampleEntry(3))), "\n")
	hdr := ExecLogHeader + "\n"
	replaceField := func(i int, v string) string {
		f := strings.Split(good, "\t")
		f[i] = v
		return strings.Join(f, "\t")
	}
	tests := []struct {
		name  string
		input string
		is    error // nil: any error
		has   string
	}{
		{"no header", good + "\n", nil, "not an execution log"},
		{"other version", "#pompe-exec/2\theight\n" + good + "\n", nil, "not an execution log"},
		{"too few fields", hdr + "1\t2\t3\n", nil, "3 fields"},
		{"too many fields", hdr + good + "\t9\n", nil, "more than 7"},
		{"negative height", hdr + replaceField(0, "-1") + "\n", nil, "bad height"},
		{"empty seq", hdr + replaceField(5, "") + "\n", nil, "bad seq"},
		{"position overflow", hdr + replaceField(1, "4294967296") + "\n", nil, "bad position"},
		{"ts overflow", hdr + replaceField(6, "18446744073709551616") + "\n", nil, "bad ts"},
		{"short digest", hdr + replaceField(3, "abcd") + "\n", nil, "digest has 4 hex digits"},
		{"bad hex client", hdr + replaceField(4, strings.Repeat("zz", 16)) + "\n", nil, "client id"},
		{"blank line", hdr + "\n", nil, "fields"},
		{"torn last line", hdr + good + "\n" + good[:20], ErrTruncated, "line 3"},
		{"torn header", ExecLogHeader[:5], ErrTruncated, "line 1"},
		{"line too long", hdr + strings.Repeat("1", maxExecLineBytes+10) + "\n", ErrLineTooLong, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAllExec(strings.NewReader(tt.input))
			if err == nil {
				t.Fatal("bad input accepted")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("error %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.has) {
				t.Fatalf("error %q does not mention %q", err, tt.has)
			}
		})
	}
}

func TestExecReaderSkipsCommentsAndAcceptsEmptyInput(t *testing.T) {
	input := ExecLogHeader + "\n# replica restarted\n" + string(AppendExecEntry(nil, sampleEntry(1)))
	got, err := readAllExec(strings.NewReader(input))
	if err != nil || len(got) != 1 || got[0] != sampleEntry(1) {
		t.Fatalf("got %+v, %v", got, err)
	}
	got, err = readAllExec(strings.NewReader(""))
	if err != nil || len(got) != 0 {
		t.Fatalf("empty input: got %+v, %v", got, err)
	}
}

func TestOpenExecLogAppendsAfterTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), ExecLogName(0))
	w, err := OpenExecLog(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(sampleEntry(1))
	w.Write(sampleEntry(2))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash mid-line leaves half an entry behind.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(AppendExecEntry(nil, sampleEntry(3))[:30])
	f.Close()

	w, err = OpenExecLog(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(sampleEntry(4))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, _ = os.Open(path)
	defer f.Close()
	got, err := readAllExec(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []ExecEntry{sampleEntry(1), sampleEntry(2), sampleEntry(4)}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestOpenExecLogRefusesOtherFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(path, []byte("hello\nworld\n"), 0o644)
	if _, err := OpenExecLog(path); err == nil {
		t.Fatal("OpenExecLog appended to a file that is not an execution log")
	}
	if b, _ := os.ReadFile(path); string(b) != "hello\nworld\n" {
		t.Fatalf("file modified: %q", b)
	}
}

type failingWriter struct{ calls int }

func (f *failingWriter) Write(p []byte) (int, error) {
	f.calls++
	return 0, errors.New("disk full")
}

func TestExecWriterErrorsAreSticky(t *testing.T) {
	fw := &failingWriter{}
	w := NewExecWriter(fw)
	w.Write(sampleEntry(1))
	if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Flush error = %v", err)
	}
	if err := w.Write(sampleEntry(2)); err == nil {
		t.Fatal("Write after a failure succeeded")
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after a failure succeeded")
	}
	if fw.calls != 1 {
		t.Fatalf("underlying writer called %d times after failing", fw.calls)
	}
	ok := NewExecWriter(io.Discard)
	ok.Close()
	if err := ok.Write(sampleEntry(1)); !errors.Is(err, errClosed) {
		t.Fatalf("Write after Close = %v", err)
	}
}

// The hot path must not allocate per line.
func TestExecHotPathDoesNotAllocate(t *testing.T) {
	w := NewExecWriter(io.Discard)
	e := sampleEntry(5)
	if allocs := testing.AllocsPerRun(1000, func() { w.Write(e) }); allocs != 0 {
		t.Fatalf("ExecWriter.Write allocates %.1f times per entry", allocs)
	}
	line := AppendExecEntry(nil, e)
	line = line[:len(line)-1]
	if allocs := testing.AllocsPerRun(1000, func() { ParseExecEntry(line) }); allocs != 0 {
		t.Fatalf("ParseExecEntry allocates %.1f times per entry", allocs)
	}
}

func TestExecEntryRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := ExecEntry{
			Height:   rapid.Uint64().Draw(t, "height"),
			Position: rapid.Uint32().Draw(t, "position"),
			Index:    rapid.Uint32().Draw(t, "index"),
			Seq:      rapid.Uint64().Draw(t, "seq"),
			TsUs:     rapid.Uint64().Draw(t, "ts"),
		}
		copy(e.Digest[:], rapid.SliceOfN(rapid.Byte(), DigestBytes, DigestBytes).Draw(t, "digest"))
		copy(e.Client[:], rapid.SliceOfN(rapid.Byte(), ClientIDBytes, ClientIDBytes).Draw(t, "client"))
		line := AppendExecEntry(nil, e)
		got, err := ParseExecEntry(line[:len(line)-1])
		if err != nil || got != e {
			t.Fatalf("round trip of %+v gave %+v, %v", e, got, err)
		}
	})
}

func BenchmarkExecWrite(b *testing.B) {
	w := NewExecWriter(io.Discard)
	e := sampleEntry(9)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.Seq = uint64(i)
		w.Write(e)
	}
}

func BenchmarkExecRead(b *testing.B) {
	var buf bytes.Buffer
	w := NewExecWriter(&buf)
	for i := range uint64(100_000) {
		w.Write(sampleEntry(i))
	}
	w.Close()
	data := buf.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := NewExecReader(bytes.NewReader(data))
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	}
}
