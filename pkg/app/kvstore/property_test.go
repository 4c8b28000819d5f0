package kvstore

import (
	"bytes"
	"testing"

	"pgregory.net/rapid"
)

// model is the reference semantics of the store: a plain map with the same
// limits, written for clarity rather than speed.
type model struct {
	limits Limits
	data   map[string]string
}

func (m *model) bytesHeld() int64 {
	var n int64
	for k, v := range m.data {
		n += int64(len(k) + len(v))
	}
	return n
}

// fits reports whether setting key to value stays within the capacity
// limits.
func (m *model) fits(key, value string) bool {
	old, found := m.data[key]
	if !found && len(m.data) >= m.limits.MaxKeys {
		return false
	}
	next := m.bytesHeld() + int64(len(value))
	if found {
		next -= int64(len(old))
	} else {
		next += int64(len(key))
	}
	return next <= m.limits.MaxTotalBytes
}

// apply returns the expected result; failed reports an expected failure.
func (m *model) apply(req Request) (res Result, failed bool) {
	key, value := string(req.Key), string(req.Value)
	if len(key) > m.limits.MaxKeyBytes || len(value) > m.limits.MaxValueBytes {
		return Result{}, true
	}
	current, found := m.data[key]
	switch req.Op {
	case OpGet:
		return Result{Found: found, OK: true, Value: []byte(current)}, false
	case OpPut:
		if !m.fits(key, value) {
			return Result{}, true
		}
		m.data[key] = value
		return Result{Found: found, OK: true}, false
	case OpDelete:
		delete(m.data, key)
		return Result{Found: found, OK: true}, false
	default: // OpCAS
		var matches bool
		if req.ExpectAbsent {
			matches = !found
		} else {
			matches = found && current == string(req.Old)
		}
		if !matches {
			return Result{Found: found, Value: []byte(current)}, false
		}
		if !m.fits(key, value) {
			return Result{}, true
		}
		m.data[key] = value
		return Result{Found: found, OK: true, Value: []byte(current)}, false
	}
}

func genSmallBytes(maxLen int) *rapid.Generator[[]byte] {
	return rapid.SliceOfN(rapid.ByteRange('a', 'c'), 0, maxLen)
}

func genRequest() *rapid.Generator[Request] {
	return rapid.Custom(func(t *rapid.T) Request {
		r := Request{
			Op:  rapid.SampledFrom([]Op{OpPut, OpGet, OpDelete, OpCAS}).Draw(t, "op"),
			Key: genSmallBytes(4).Draw(t, "key"),
		}
		switch r.Op {
		case OpPut:
			r.Value = genSmallBytes(5).Draw(t, "value")
		case OpCAS:
			r.Value = genSmallBytes(5).Draw(t, "new")
			r.ExpectAbsent = rapid.Bool().Draw(t, "expectAbsent")
			if !r.ExpectAbsent {
				r.Old = genSmallBytes(5).Draw(t, "old")
			}
		}
		return r
	})
}

// TestStoreMatchesModel runs random command sequences, including malformed
// payloads, against the store and the model, with limits small enough that
// every rejection path is exercised.
func TestStoreMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		limits := Limits{
			MaxKeyBytes:   rapid.IntRange(1, 4).Draw(t, "maxKeyBytes"),
			MaxValueBytes: rapid.IntRange(1, 5).Draw(t, "maxValueBytes"),
			MaxKeys:       rapid.IntRange(1, 6).Draw(t, "maxKeys"),
			MaxTotalBytes: int64(rapid.IntRange(1, 30).Draw(t, "maxTotalBytes")),
		}
		s, err := New(limits)
		if err != nil {
			t.Fatal(err)
		}
		m := &model{limits: limits, data: map[string]string{}}
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for i := range steps {
			if rapid.IntRange(0, 9).Draw(t, "malformed?") == 0 {
				payload := rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "garbage")
				if _, err := Decode(payload); err != nil {
					if got := s.Apply(testOwner, payload); got.Err == "" {
						t.Fatalf("step %d: malformed payload %x gave %+v", i, payload, got)
					}
					continue
				}
			}
			req := genRequest().Draw(t, "request")
			want, wantFailure := m.apply(req)
			got := s.Apply(testOwner, req.Append(nil))
			if wantFailure {
				if got.Err == "" {
					t.Fatalf("step %d: %s %q: got %+v, want a failure", i, req.Op, req.Key, got)
				}
				continue
			}
			if !resultsEqual(normalize(got), normalize(want)) {
				t.Fatalf("step %d: %s %q: got %+v, want %+v", i, req.Op, req.Key, got, want)
			}
		}
		if s.Len() != len(m.data) || s.totalBytes != m.bytesHeld() {
			t.Fatalf("store holds %d keys / %d bytes, model %d / %d",
				s.Len(), s.totalBytes, len(m.data), m.bytesHeld())
		}
		// Equal states give equal snapshots, whatever history led to them.
		rebuilt, _ := New(limits)
		for k, v := range m.data {
			rebuilt.Apply(testOwner, EncodePut([]byte(k), []byte(v)))
		}
		a, _ := s.Snapshot()
		b, _ := rebuilt.Snapshot()
		if !bytes.Equal(a, b) {
			t.Fatal("snapshot differs from a store rebuilt from the model")
		}
	})
}

// normalize maps a nil Value to empty: the encoding does not tell them apart.
func normalize(r Result) Result {
	if r.Value == nil {
		r.Value = []byte{}
	}
	return r
}
