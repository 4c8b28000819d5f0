package kvstore

import (
	"sync"

	"github.com/pompe-bft/pompe/pkg/app"
)

// Store is the key-value Application. It is safe for concurrent use, so
// local reads (Get, Len) may run alongside pompe's calls.
type Store struct {
	limits Limits

	mu         sync.Mutex
	data       map[string][]byte
	totalBytes int64 // sum of len(key)+len(value) over data
}

var _ app.Application = (*Store)(nil)

// New returns an empty store. Zero fields of limits take their defaults.
func New(limits Limits) (*Store, error) {
	l, err := limits.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Store{limits: l, data: make(map[string][]byte)}, nil
}

// Limits returns the limits in force, defaults filled in.
func (s *Store) Limits() Limits { return s.limits }

// Execute applies cmds in order and returns one encoded Result per command.
// The height does not influence a key-value store.
func (s *Store) Execute(height uint64, cmds []app.Command) [][]byte {
	results := make([][]byte, len(cmds))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, cmd := range cmds {
		results[i] = EncodeResult(s.executeLocked(cmd.Payload))
	}
	return results
}

// Apply executes one command payload and returns its result unencoded. It
// is what Execute does for each command.
func (s *Store) Apply(payload []byte) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := s.executeLocked(payload)
	if res.Value != nil {
		res.Value = append([]byte(nil), res.Value...)
	}
	return res
}

// Get reads key locally, outside consensus. The returned slice is a copy.
func (s *Store) Get(key []byte) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[string(key)]
	return append([]byte(nil), v...), ok
}

// Len returns the number of keys held.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.data)
}

func (s *Store) executeLocked(payload []byte) Result {
	req, err := Decode(payload)
	if err != nil {
		return Result{Err: err.Error()}
	}
	if reason := s.limits.checkEntry(req.Key, req.Value); reason != "" {
		return Result{Err: reason}
	}
	current, found := s.data[string(req.Key)]
	switch req.Op {
	case OpGet:
		return Result{Found: found, Value: current, OK: true}
	case OpPut:
		if reason := s.setLocked(req.Key, req.Value, current, found); reason != "" {
			return Result{Found: found, Err: reason}
		}
		return Result{Found: found, OK: true}
	case OpDelete:
		if found {
			delete(s.data, string(req.Key))
			s.totalBytes -= int64(len(req.Key) + len(current))
		}
		return Result{Found: found, OK: true}
	case OpCAS:
		matches := found != req.ExpectAbsent && (!found || string(current) == string(req.Old))
		if !matches {
			return Result{Found: found, Value: current}
		}
		if reason := s.setLocked(req.Key, req.Value, current, found); reason != "" {
			return Result{Found: found, Err: reason}
		}
		return Result{Found: found, Value: current, OK: true}
	}
	// Decode accepts no other operation.
	return Result{Err: "kvstore: unknown operation"}
}

// setLocked stores a copy of value under key unless a capacity limit
// forbids it, in which case it returns the reason and changes nothing.
func (s *Store) setLocked(key, value, current []byte, found bool) string {
	delta := int64(len(value))
	if found {
		delta -= int64(len(current))
	} else {
		delta += int64(len(key))
		if len(s.data) >= s.limits.MaxKeys {
			return "store is full: key limit reached"
		}
	}
	if s.totalBytes+delta > s.limits.MaxTotalBytes {
		return "store is full: byte limit reached"
	}
	s.data[string(key)] = append([]byte(nil), value...)
	s.totalBytes += delta
	return ""
}
