package kvstore

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// FuzzDecode checks that Decode never panics, and that everything it accepts
// is canonical: re-encoding gives back the input, and the store executes it
// without failing on format grounds.
func FuzzDecode(f *testing.F) {
	f.Add(EncodePut([]byte("k"), []byte("v")))
	f.Add(EncodeGet([]byte("key")))
	f.Add(EncodeDelete(nil))
	f.Add(EncodeCAS([]byte("k"), nil, []byte("n")))
	f.Add(EncodeCAS([]byte("k"), []byte("o"), []byte("n")))
	f.Fuzz(func(t *testing.T, payload []byte) {
		req, err := Decode(payload)
		if err != nil {
			return
		}
		if again := req.Append(nil); !bytes.Equal(again, payload) {
			t.Fatalf("Decode accepted non-canonical %x (canonical %x)", payload, again)
		}
		s, _ := New(Limits{})
		res, err := DecodeResult(EncodeResult(s.Apply(testOwner, payload)))
		if err != nil {
			t.Fatalf("store produced an undecodable result: %v", err)
		}
		if res.Err != "" && len(req.Key) <= DefaultMaxKeyBytes && len(req.Value) <= DefaultMaxValueBytes {
			t.Fatalf("valid request %+v failed: %s", req, res.Err)
		}
	})
}

// FuzzDecodeResult checks that DecodeResult never panics and accepts only
// canonical encodings.
func FuzzDecodeResult(f *testing.F) {
	f.Add(EncodeResult(Result{Found: true, OK: true, Value: []byte("v")}))
	f.Add(EncodeResult(Result{Err: "bad"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := DecodeResult(b)
		if err != nil {
			return
		}
		if again := EncodeResult(res); !bytes.Equal(again, b) {
			t.Fatalf("DecodeResult accepted non-canonical %x (canonical %x)", b, again)
		}
	})
}

// FuzzRestore checks that Restore never panics and that any snapshot it
// accepts is reproduced byte for byte by Snapshot. The fuzzer supplies the
// snapshot without its checksum, which is appended here: otherwise almost
// every input would stop at the checksum and the parser behind it would go
// unexplored.
func FuzzRestore(f *testing.F) {
	s, _ := New(Limits{})
	empty, _ := s.Snapshot()
	s.Apply(testOwner, EncodePut([]byte("a"), []byte("1")))
	s.Apply(testOwner, EncodePut([]byte("b"), []byte("2")))
	two, _ := s.Snapshot()
	f.Add(empty[:len(empty)-snapshotChecksumBytes])
	f.Add(two[:len(two)-snapshotChecksumBytes])
	f.Fuzz(func(t *testing.T, body []byte) {
		snap := binary.BigEndian.AppendUint32(bytes.Clone(body), crc32.Checksum(body, castagnoli))
		s, _ := New(Limits{MaxKeys: 1 << 10})
		if err := s.Restore(snap); err != nil {
			return
		}
		again, err := s.Snapshot()
		if err != nil || !bytes.Equal(again, snap) {
			t.Fatalf("restored %x but snapshot is %x (err %v)", snap, again, err)
		}
	})
}
