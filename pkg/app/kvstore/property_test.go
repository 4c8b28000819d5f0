package kvstore

import (
	"bytes"
	"maps"
	"testing"

	"pgregory.net/rapid"
)

// model is the reference semantics of the store: a plain map per client
// with the same limits, written for clarity rather than speed.
type model struct {
	limits Limits
	data   map[Owner]map[string]string
}

func (m *model) keys() int {
	n := 0
	for _, kv := range m.data {
		n += len(kv)
	}
	return n
}

// bytesHeld counts client's key and value lengths, or every client's if
// client is nil.
func (m *model) bytesHeld(client *Owner) int64 {
	var n int64
	for o, kv := range m.data {
		if client != nil && o != *client {
			continue
		}
		for k, v := range kv {
			n += int64(len(k) + len(v))
		}
	}
	return n
}

// fits reports whether client setting key to value stays within the
// capacity limits: the store's, and the client's share unless the write
// does not grow the client.
func (m *model) fits(client Owner, key, value string) bool {
	old, found := m.data[client][key]
	if !found && (m.keys() >= m.limits.MaxKeys || len(m.data[client]) >= m.limits.MaxClientKeys) {
		return false
	}
	growth := int64(len(value))
	if found {
		growth -= int64(len(old))
	} else {
		growth += int64(len(key))
	}
	if m.bytesHeld(nil)+growth > m.limits.MaxTotalBytes {
		return false
	}
	return growth <= 0 || m.bytesHeld(&client)+growth <= m.limits.MaxClientBytes
}

func (m *model) set(client Owner, key, value string) {
	if m.data[client] == nil {
		m.data[client] = map[string]string{}
	}
	m.data[client][key] = value
}

// apply returns the expected result; failed reports an expected failure.
func (m *model) apply(client Owner, req Request) (res Result, failed bool) {
	key, value := string(req.Key), string(req.Value)
	if len(key) > m.limits.MaxKeyBytes || len(value) > m.limits.MaxValueBytes {
		return Result{}, true
	}
	current, found := m.data[client][key]
	switch req.Op {
	case OpGet:
		return Result{Found: found, OK: true, Value: []byte(current)}, false
	case OpPut:
		if !m.fits(client, key, value) {
			return Result{}, true
		}
		m.set(client, key, value)
		return Result{Found: found, OK: true}, false
	case OpDelete:
		delete(m.data[client], key)
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
		if !m.fits(client, key, value) {
			return Result{}, true
		}
		m.set(client, key, value)
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

// TestStoreMatchesModel runs random command sequences of three clients,
// including malformed payloads, against the store and the model, with
// limits small enough that every rejection path is exercised, the client
// shares included. Now and then the store is replaced by one restored from
// its snapshot: the model, which knows nothing of snapshots, must not
// notice. The per-client usage table must equal a count from the data
// after every step.
func TestStoreMatchesModel(t *testing.T) {
	clients := []Owner{alice, bob, testOwner}
	rapid.Check(t, func(t *rapid.T) {
		limits := Limits{
			MaxKeyBytes:    rapid.IntRange(1, 4).Draw(t, "maxKeyBytes"),
			MaxValueBytes:  rapid.IntRange(1, 5).Draw(t, "maxValueBytes"),
			MaxKeys:        rapid.IntRange(1, 8).Draw(t, "maxKeys"),
			MaxTotalBytes:  int64(rapid.IntRange(1, 40).Draw(t, "maxTotalBytes")),
			MaxClientKeys:  rapid.IntRange(1, 5).Draw(t, "maxClientKeys"),
			MaxClientBytes: int64(rapid.IntRange(1, 25).Draw(t, "maxClientBytes")),
		}
		s, err := New(limits)
		if err != nil {
			t.Fatal(err)
		}
		m := &model{limits: limits, data: map[Owner]map[string]string{}}
		steps := rapid.IntRange(1, 80).Draw(t, "steps")
		for i := range steps {
			who := rapid.SampledFrom(clients).Draw(t, "client")
			switch rapid.IntRange(0, 19).Draw(t, "kind") {
			case 0, 1:
				payload := rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "garbage")
				if _, err := Decode(payload); err != nil {
					if got := s.Apply(who, payload); got.Err == "" {
						t.Fatalf("step %d: malformed payload %x gave %+v", i, payload, got)
					}
					continue
				}
			case 2:
				snap, _ := s.Snapshot()
				restored, _ := New(limits)
				if err := restored.Restore(snap); err != nil {
					t.Fatalf("step %d: Restore of the store's own snapshot: %v", i, err)
				}
				if !maps.Equal(restored.clients, s.clients) || restored.totalBytes != s.totalBytes {
					t.Fatalf("step %d: restored usage %v / %d bytes, store %v / %d",
						i, restored.clients, restored.totalBytes, s.clients, s.totalBytes)
				}
				s = restored
			}
			req := genRequest().Draw(t, "request")
			want, wantFailure := m.apply(who, req)
			got := s.Apply(who, req.Append(nil))
			checkUsage(t, s)
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
		if s.Len() != m.keys() || s.totalBytes != m.bytesHeld(nil) {
			t.Fatalf("store holds %d keys / %d bytes, model %d / %d",
				s.Len(), s.totalBytes, m.keys(), m.bytesHeld(nil))
		}
		for _, c := range clients {
			if got, want := s.Usage(c), (Usage{len(m.data[c]), m.bytesHeld(&c)}); got != want {
				t.Fatalf("usage of %x: %+v, model %+v", c[:1], got, want)
			}
		}
		// Equal states give equal snapshots, whatever history led to them.
		rebuilt, _ := New(limits)
		for c, kv := range m.data {
			for k, v := range kv {
				if res := rebuilt.Apply(c, EncodePut([]byte(k), []byte(v))); res.Err != "" {
					t.Fatalf("rebuilding the model's state: %s", res.Err)
				}
			}
		}
		a, _ := s.Snapshot()
		b, _ := rebuilt.Snapshot()
		if !bytes.Equal(a, b) {
			t.Fatal("snapshot differs from a store rebuilt from the model")
		}
	})
}

// checkUsage fails unless s's usage table is exactly a count of its data:
// one entry per client holding a key, none for any other.
func checkUsage(t *rapid.T, s *Store) {
	want := usageTable{}
	for k, v := range s.data {
		owner, key := ownerOf(k)
		u := want[owner]
		u.Keys++
		u.Bytes += int64(len(key) + len(v))
		want[owner] = u
	}
	if !maps.Equal(s.clients, want) {
		t.Fatalf("usage table %v, counted from the data %v", s.clients, want)
	}
}

// normalize maps a nil Value to empty: the encoding does not tell them apart.
func normalize(r Result) Result {
	if r.Value == nil {
		r.Value = []byte{}
	}
	return r
}
