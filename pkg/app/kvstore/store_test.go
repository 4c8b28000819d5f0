package kvstore

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/pkg/app"
)

func newTestStore(t testing.TB, limits Limits) *Store {
	t.Helper()
	s, err := New(limits)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestStoreOperations(t *testing.T) {
	type step struct {
		payload []byte
		want    Result
		errHas  string // non-empty: expect a failure containing it
	}
	k, v1, v2 := []byte("k"), []byte("v1"), []byte("v2")
	tests := []struct {
		name   string
		limits Limits
		steps  []step
	}{
		{"put then get", Limits{}, []step{
			{payload: EncodeGet(k), want: Result{OK: true}},
			{payload: EncodePut(k, v1), want: Result{OK: true}},
			{payload: EncodeGet(k), want: Result{Found: true, OK: true, Value: v1}},
			{payload: EncodePut(k, v2), want: Result{Found: true, OK: true}},
			{payload: EncodeGet(k), want: Result{Found: true, OK: true, Value: v2}},
		}},
		{"delete", Limits{}, []step{
			{payload: EncodeDelete(k), want: Result{OK: true}},
			{payload: EncodePut(k, v1), want: Result{OK: true}},
			{payload: EncodeDelete(k), want: Result{Found: true, OK: true}},
			{payload: EncodeGet(k), want: Result{OK: true}},
		}},
		{"cas", Limits{}, []step{
			{payload: EncodeCAS(k, v1, v2), want: Result{}},
			{payload: EncodeCAS(k, nil, v1), want: Result{OK: true}},
			{payload: EncodeCAS(k, nil, v2), want: Result{Found: true, Value: v1}},
			{payload: EncodeCAS(k, v2, v2), want: Result{Found: true, Value: v1}},
			{payload: EncodeCAS(k, v1, v2), want: Result{Found: true, OK: true, Value: v1}},
			{payload: EncodeGet(k), want: Result{Found: true, OK: true, Value: v2}},
			{payload: EncodeCAS(k, []byte{}, v1), want: Result{Found: true, Value: v2}},
		}},
		{"cas on empty value", Limits{}, []step{
			{payload: EncodePut(k, nil), want: Result{OK: true}},
			{payload: EncodeCAS(k, nil, v1), want: Result{Found: true, Value: []byte{}}},
			{payload: EncodeCAS(k, []byte{}, v1), want: Result{Found: true, OK: true, Value: []byte{}}},
		}},
		{"malformed payloads fail and change nothing", Limits{}, []step{
			{payload: EncodePut(k, v1), want: Result{OK: true}},
			{payload: nil, errHas: "empty payload"},
			{payload: []byte{0xee}, errHas: "unknown operation"},
			{payload: append(EncodeDelete(k), 1), errHas: "trailing"},
			{payload: EncodeGet(k), want: Result{Found: true, OK: true, Value: v1}},
		}},
		{"oversize key and value", Limits{MaxKeyBytes: 2, MaxValueBytes: 3}, []step{
			{payload: EncodePut([]byte("abc"), v1), errHas: "key is 3 bytes"},
			{payload: EncodeGet([]byte("abc")), errHas: "key is 3 bytes"},
			{payload: EncodePut(k, []byte("abcd")), errHas: "value is 4 bytes"},
			{payload: EncodeCAS(k, nil, []byte("abcd")), errHas: "value is 4 bytes"},
			{payload: EncodePut(k, []byte("abc")), want: Result{OK: true}},
		}},
		{"key limit", Limits{MaxKeys: 1}, []step{
			{payload: EncodePut([]byte("a"), v1), want: Result{OK: true}},
			{payload: EncodePut([]byte("b"), v1), errHas: "key limit"},
			{payload: EncodeCAS([]byte("b"), nil, v1), errHas: "key limit"},
			{payload: EncodePut([]byte("a"), v2), want: Result{Found: true, OK: true}},
			{payload: EncodeDelete([]byte("a")), want: Result{Found: true, OK: true}},
			{payload: EncodePut([]byte("b"), v1), want: Result{OK: true}},
		}},
		{"byte limit", Limits{MaxTotalBytes: 6}, []step{
			{payload: EncodePut([]byte("a"), []byte("12345")), want: Result{OK: true}},
			{payload: EncodePut([]byte("a"), []byte("123456")), errHas: "byte limit"},
			{payload: EncodePut([]byte("b"), nil), errHas: "byte limit"},
			{payload: EncodePut([]byte("a"), nil), want: Result{Found: true, OK: true}},
			{payload: EncodePut([]byte("b"), []byte("1234")), want: Result{OK: true}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, tt.limits)
			for i, st := range tt.steps {
				got := s.Apply(testOwner, st.payload)
				if st.errHas != "" {
					if !strings.Contains(got.Err, st.errHas) || got.OK {
						t.Fatalf("step %d: result %+v, want failure containing %q", i, got, st.errHas)
					}
					continue
				}
				if !resultsEqual(got, st.want) {
					t.Fatalf("step %d: result %+v, want %+v", i, got, st.want)
				}
			}
		})
	}
}

func TestExecuteEncodesOneResultPerCommand(t *testing.T) {
	s := newTestStore(t, Limits{})
	cmds := []app.Command{
		{Seq: 1, Payload: EncodePut([]byte("a"), []byte("1"))},
		{Seq: 2, Payload: []byte("garbage")},
		{Seq: 3, Payload: EncodeGet([]byte("a"))},
	}
	results := s.Execute(7, cmds, app.ResultLimits{})
	if len(results) != len(cmds) {
		t.Fatalf("got %d results for %d commands", len(results), len(cmds))
	}
	var decoded []Result
	for i, r := range results {
		res, err := DecodeResult(r)
		if err != nil {
			t.Fatalf("result %d: %v", i, err)
		}
		decoded = append(decoded, res)
	}
	if !decoded[0].OK || decoded[1].Err == "" || !bytes.Equal(decoded[2].Value, []byte("1")) {
		t.Fatalf("unexpected results %+v", decoded)
	}
}

func TestNewRejectsNegativeLimits(t *testing.T) {
	for _, l := range []Limits{{MaxKeyBytes: -1}, {MaxValueBytes: -1}, {MaxKeys: -1}, {MaxTotalBytes: -1}} {
		if _, err := New(l); err == nil {
			t.Fatalf("New(%+v) accepted a negative limit", l)
		}
	}
	s := newTestStore(t, Limits{MaxKeys: 3})
	if got := s.Limits(); got.MaxKeys != 3 || got.MaxKeyBytes != DefaultMaxKeyBytes {
		t.Fatalf("Limits() = %+v", got)
	}
}

func TestGetReturnsCopy(t *testing.T) {
	s := newTestStore(t, Limits{})
	s.Apply(testOwner, EncodePut([]byte("k"), []byte("v")))
	v, ok := s.Get(testOwner, []byte("k"))
	if !ok || string(v) != "v" {
		t.Fatalf("Get = %q, %v", v, ok)
	}
	v[0] = 'x'
	if again, _ := s.Get(testOwner, []byte("k")); string(again) != "v" {
		t.Fatalf("Get exposed internal state: %q", again)
	}
	if s.Len() != 1 {
		t.Fatalf("Len = %d", s.Len())
	}
}
