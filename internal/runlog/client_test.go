package runlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func sampleRecord(i uint64) ClientRecord {
	r := ClientRecord{
		Seq: i, SentUs: 1_700_000_000_000_000 + int64(i), AssignedTsUs: 5000 + i, Attempts: 1,
		ReplicaTs:   []ReplicaTimestamp{{0, 4999 + i}, {1, 5000 + i}, {2, 5001 + i}},
		SequencedUs: 1_700_000_000_002_000 + int64(i), ExecutedUs: 1_700_000_000_009_000 + int64(i),
		Height: 3 + i, Position: uint32(i % 5),
	}
	r.Client[0] = byte(i)
	r.Digest[0] = 0xd0
	return r
}

func readAllRecords(r io.Reader) ([]ClientRecord, error) {
	cr := NewClientRecordReader(r)
	var out []ClientRecord
	for {
		rec, err := cr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

func TestClientRecordRoundTrip(t *testing.T) {
	notExecuted := sampleRecord(2)
	notExecuted.ExecutedUs, notExecuted.Height, notExecuted.Position, notExecuted.Digest = 0, 0, 0, Digest{}
	baseline := sampleRecord(3)
	baseline.ReplicaTs, baseline.AssignedTsUs, baseline.SequencedUs = []ReplicaTimestamp{}, 0, 0
	tests := []struct {
		name    string
		records []ClientRecord
	}{
		{"empty file", nil},
		{"executed", []ClientRecord{sampleRecord(1)}},
		{"not executed", []ClientRecord{notExecuted}},
		{"baseline", []ClientRecord{baseline}},
		{"extremes", []ClientRecord{{Seq: math.MaxUint64, SentUs: math.MaxInt64, AssignedTsUs: math.MaxUint64,
			Attempts: math.MaxUint32, Height: math.MaxUint64, Position: math.MaxUint32,
			ReplicaTs: []ReplicaTimestamp{{math.MaxUint32, math.MaxUint64}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewClientRecordWriter(&buf)
			for _, r := range tt.records {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := readAllRecords(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.records) {
				t.Fatalf("read %d records, wrote %d", len(got), len(tt.records))
			}
			for i := range got {
				if !recordsEqual(got[i], tt.records[i]) {
					t.Fatalf("record %d: read %+v, wrote %+v", i, got[i], tt.records[i])
				}
			}
		})
	}
}

func TestClientRecordLineFormat(t *testing.T) {
	r := ClientRecord{Seq: 7, SentUs: 100, ReplicaTs: []ReplicaTimestamp{{0, 50}, {3, 52}}, AssignedTsUs: 52,
		Attempts: 1, SequencedUs: 110, ExecutedUs: 190, Height: 4, Position: 1}
	r.Client[15] = 1
	r.Digest[31] = 2
	want := `{"client":"` + strings.Repeat("00", 15) + `01","seq":7,"sent_us":100,` +
		`"replica_ts":[{"replica":0,"ts":50},{"replica":3,"ts":52}],"assigned_ts":52,"attempts":1,` +
		`"sequenced_us":110,"executed_us":190,"height":4,"position":1,"digest":"` + strings.Repeat("00", 31) + "02\"}\n"
	if got := string(AppendClientRecord(nil, r)); got != want {
		t.Fatalf("line = %s\nwant   %s", got, want)
	}
}

// The hand-written encoder must agree with encoding/json byte for byte, so
// that any JSON tool and our reader see the same record.
func TestClientRecordMatchesEncodingJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := ClientRecord{
			Seq: rapid.Uint64().Draw(t, "seq"), SentUs: rapid.Int64().Draw(t, "sent"),
			AssignedTsUs: rapid.Uint64().Draw(t, "assigned"), Attempts: rapid.Uint32().Draw(t, "attempts"),
			SequencedUs: rapid.Int64().Draw(t, "sequenced"), ExecutedUs: rapid.Int64().Draw(t, "executed"),
			Height: rapid.Uint64().Draw(t, "height"), Position: rapid.Uint32().Draw(t, "position"),
			ReplicaTs: rapid.SliceOfN(rapid.Custom(func(t *rapid.T) ReplicaTimestamp {
				return ReplicaTimestamp{rapid.Uint32().Draw(t, "replica"), rapid.Uint64().Draw(t, "ts")}
			}), 0, 6).Draw(t, "replicaTs"),
		}
		copy(r.Client[:], rapid.SliceOfN(rapid.Byte(), ClientIDBytes, ClientIDBytes).Draw(t, "client"))
		if rapid.Bool().Draw(t, "executed?") {
			copy(r.Digest[:], rapid.SliceOfN(rapid.Byte(), DigestBytes, DigestBytes).Draw(t, "digest"))
		}
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got := AppendClientRecord(nil, r)
		if string(got) != string(want)+"\n" {
			t.Fatalf("hand-written %s\nencoding/json %s", got, want)
		}
		back, err := readAllRecords(bytes.NewReader(got))
		if err != nil || len(back) != 1 || !recordsEqual(back[0], r) {
			t.Fatalf("read back %+v, %v", back, err)
		}
	})
}

func TestClientRecordReaderToleratesEvolution(t *testing.T) {
	line := `{"client":"` + strings.Repeat("ab", 16) + `","seq":3,"future_field":{"x":[1,2]},"attempts":2}` + "\n\n"
	got, err := readAllRecords(strings.NewReader(line))
	if err != nil || len(got) != 1 || got[0].Seq != 3 || got[0].Attempts != 2 || got[0].Client[0] != 0xab {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestClientRecordReaderRejectsBadInput(t *testing.T) {
	good := string(AppendClientRecord(nil, sampleRecord(1)))
	tests := []struct {
		name  string
		input string
		is    error
		has   string
	}{
		{"not json", good + "hello\n", nil, "line 2"},
		{"short client id", `{"client":"abcd"}` + "\n", nil, "client id has 4 hex digits"},
		{"bad digest", `{"digest":"` + strings.Repeat("x", 64) + `"}` + "\n", nil, "digest"},
		{"negative seq", `{"seq":-1}` + "\n", nil, "seq"},
		{"trailing garbage", `{"seq":1} {"seq":2}` + "\n", nil, "line 1"},
		{"torn last line", good + good[:40], ErrTruncated, "line 2"},
		{"line too long", `{"x":"` + strings.Repeat("a", maxClientRecordLineBytes) + `"}` + "\n", ErrLineTooLong, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAllRecords(strings.NewReader(tt.input))
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

func TestNames(t *testing.T) {
	if got := ExecLogName(3); got != "replica3.exec.tsv" {
		t.Fatalf("ExecLogName = %q", got)
	}
	if got := ClientRecordsName(12); got != "client12.records.jsonl" {
		t.Fatalf("ClientRecordsName = %q", got)
	}
	tests := []struct {
		name  string
		exec  int
		isLog bool
	}{
		{"replica0.exec.tsv", 0, true},
		{"replica17.exec.tsv", 17, true},
		{"replica.exec.tsv", 0, false},
		{"replica01.exec.tsv", 0, false},
		{"replica-1.exec.tsv", 0, false},
		{"replica1.exec.tsv.bak", 0, false},
		{"client1.records.jsonl", 0, false},
		{"replica99999999999999999999999.exec.tsv", 0, false},
	}
	for _, tt := range tests {
		n, ok := ParseExecLogName(tt.name)
		if ok != tt.isLog || (ok && n != tt.exec) {
			t.Fatalf("ParseExecLogName(%q) = %d, %v", tt.name, n, ok)
		}
	}
	if n, ok := ParseClientRecordsName("client4.records.jsonl"); !ok || n != 4 {
		t.Fatalf("ParseClientRecordsName = %d, %v", n, ok)
	}
}

func recordsEqual(a, b ClientRecord) bool {
	if len(a.ReplicaTs) == 0 && len(b.ReplicaTs) == 0 {
		a.ReplicaTs, b.ReplicaTs = nil, nil
	}
	return reflect.DeepEqual(a, b)
}
