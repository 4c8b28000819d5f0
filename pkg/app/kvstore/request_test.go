package kvstore

import (
	"bytes"
	"errors"
	"testing"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    Request
	}{
		{"put", EncodePut([]byte("k"), []byte("v")), Request{Op: OpPut, Key: []byte("k"), Value: []byte("v")}},
		{"put empty", EncodePut(nil, nil), Request{Op: OpPut, Key: []byte{}, Value: []byte{}}},
		{"get", EncodeGet([]byte("key")), Request{Op: OpGet, Key: []byte("key")}},
		{"delete", EncodeDelete([]byte("key")), Request{Op: OpDelete, Key: []byte("key")}},
		{"cas expect absent", EncodeCAS([]byte("k"), nil, []byte("n")),
			Request{Op: OpCAS, Key: []byte("k"), ExpectAbsent: true, Value: []byte("n")}},
		{"cas expect empty", EncodeCAS([]byte("k"), []byte{}, []byte("n")),
			Request{Op: OpCAS, Key: []byte("k"), Old: []byte{}, Value: []byte("n")}},
		{"cas expect value", EncodeCAS([]byte("k"), []byte("o"), []byte("n")),
			Request{Op: OpCAS, Key: []byte("k"), Old: []byte("o"), Value: []byte("n")}},
		{"long value", EncodePut([]byte("k"), bytes.Repeat([]byte("x"), 300)),
			Request{Op: OpPut, Key: []byte("k"), Value: bytes.Repeat([]byte("x"), 300)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.payload)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !requestsEqual(got, tt.want) {
				t.Fatalf("Decode = %+v, want %+v", got, tt.want)
			}
			if again := got.Append(nil); !bytes.Equal(again, tt.payload) {
				t.Fatalf("re-encoding = %x, want %x", again, tt.payload)
			}
		})
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"unknown op", []byte{0x09, 0x00}},
		{"zero op", []byte{0x00}},
		{"get without key", []byte{byte(OpGet)}},
		{"key longer than payload", []byte{byte(OpGet), 0x05, 'a'}},
		{"huge length", []byte{byte(OpGet), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"overflowing varint", []byte{byte(OpGet), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"non-minimal length", []byte{byte(OpGet), 0x81, 0x00, 'a'}},
		{"trailing bytes", append(EncodeGet([]byte("k")), 0x00)},
		{"put without value", []byte{byte(OpPut), 0x01, 'k'}},
		{"cas bad marker", []byte{byte(OpCAS), 0x01, 'k', 0x02, 0x00}},
		{"cas truncated after key", []byte{byte(OpCAS), 0x01, 'k'}},
		{"cas missing new", []byte{byte(OpCAS), 0x01, 'k', 0x01, 0x00}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.payload)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode(%x) error = %v, want ErrMalformed", tt.payload, err)
			}
		})
	}
}

func TestResultRoundTrip(t *testing.T) {
	tests := []Result{
		{},
		{OK: true},
		{Found: true, OK: true, Value: []byte("v")},
		{Found: true, Value: []byte("current")},
		{Err: "value too large"},
	}
	for _, want := range tests {
		got, err := DecodeResult(EncodeResult(want))
		if err != nil {
			t.Fatalf("DecodeResult(%+v): %v", want, err)
		}
		if !resultsEqual(got, want) {
			t.Fatalf("round trip = %+v, want %+v", got, want)
		}
	}
}

func TestDecodeResultRejectsMalformed(t *testing.T) {
	tests := [][]byte{
		nil,
		{0x02},
		{statusSuccess},
		{statusSuccess, 0x04, 0x00},
		{statusSuccess, 0x00, 0x01},
		{statusSuccess, 0x00, 0x00, 0x00},
		{statusFailure, 0x00},
		{statusFailure},
	}
	for _, b := range tests {
		if _, err := DecodeResult(b); !errors.Is(err, ErrMalformedResult) {
			t.Fatalf("DecodeResult(%x) error = %v, want ErrMalformedResult", b, err)
		}
	}
}

func requestsEqual(a, b Request) bool {
	return a.Op == b.Op && a.ExpectAbsent == b.ExpectAbsent && bytes.Equal(a.Key, b.Key) &&
		bytes.Equal(a.Value, b.Value) && bytes.Equal(a.Old, b.Old)
}

func resultsEqual(a, b Result) bool {
	return a.Found == b.Found && a.OK == b.OK && a.Err == b.Err && bytes.Equal(a.Value, b.Value)
}
