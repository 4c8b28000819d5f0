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
	totalBytes int64      // sum of len(key)+len(value) over data, the owner prefix not counted
	clients    usageTable // per-client keys and bytes, derived from data

	// order is every key of data in sorted order as of the last Snapshot,
	// plus keys deleted since (nil: not known), and added the keys put
	// since that it lacks: the next Snapshot sorts only those and merges,
	// instead of sorting every key again (sorting 131,072 keys was 64% of
	// a snapshot, and a snapshot 7% of a replica's CPU at HotStuff batch
	// 200). Both hold at most one entry per key that data held since.
	order   []string
	added   map[string]struct{}
	deleted bool // a key was deleted since the last Snapshot
}

var _ app.Application = (*Store)(nil)

// New returns an empty store. Zero fields of limits take their defaults.
func New(limits Limits) (*Store, error) {
	l, err := limits.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Store{limits: l, data: make(map[string][]byte), clients: make(usageTable)}, nil
}

// Limits returns the limits in force, defaults filled in.
func (s *Store) Limits() Limits { return s.limits }

// Owner is the client id that owns a key: every key lives in the namespace
// of the client that wrote it, and a command reads and writes only keys of
// the client that issued it.
type Owner = [app.ClientIDBytes]byte

// Execute applies cmds in order and returns one encoded Result per command,
// each command in its client's key namespace. Results keep limits, as
// app.ResultBudget decides: a get or a CAS whose result (the value it
// reads) is refused fails, the CAS without swapping. The height does not
// influence a key-value store.
func (s *Store) Execute(height uint64, cmds []app.Command, limits app.ResultLimits) [][]byte {
	results := make([][]byte, len(cmds))
	s.mu.Lock()
	defer s.mu.Unlock()
	budget := app.NewResultBudget(limits)
	for i, cmd := range cmds {
		admit := func(value []byte) string { return budget.Admit(cmd.Batch, successResultBytes(value)) }
		results[i] = EncodeResult(s.executeLocked(cmd.Client, cmd.Payload, admit))
	}
	return results
}

// ErrorResult encodes a failure result with reason (app.Application).
func (s *Store) ErrorResult(reason string) []byte {
	if len(reason) > app.MaxReasonBytes {
		reason = reason[:app.MaxReasonBytes]
	}
	if reason == "" {
		reason = "refused"
	}
	return EncodeResult(Result{Err: reason})
}

// Apply executes one command payload of client and returns its result
// unencoded, without result limits. It is what Execute does for each
// command.
func (s *Store) Apply(client Owner, payload []byte) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := s.executeLocked(client, payload, func([]byte) string { return "" })
	if res.Value != nil {
		res.Value = append([]byte(nil), res.Value...)
	}
	return res
}

// Get reads client's key locally, outside consensus. The returned slice is
// a copy.
func (s *Store) Get(client Owner, key []byte) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[namespaced(client, key)]
	return append([]byte(nil), v...), ok
}

// Len returns the number of keys held, all clients together.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.data)
}

// Usage returns what client holds: its keys and their bytes, counted as
// Limits.MaxClientKeys and Limits.MaxClientBytes count them.
func (s *Store) Usage(client Owner) Usage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[client]
}

// Clients returns the number of clients that hold at least one key.
func (s *Store) Clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// namespaced is the map key of client's key: the owner's id, then the key.
func namespaced(client Owner, key []byte) string {
	return string(client[:]) + string(key)
}

// executeLocked runs one command. admit decides whether a successful result
// carrying value may be returned ("" or the reason it may not); it is asked
// before anything changes, and only for results that carry a value (the
// others are small and always pass).
func (s *Store) executeLocked(client Owner, payload []byte, admit func(value []byte) string) Result {
	req, err := Decode(payload)
	if err != nil {
		return Result{Err: err.Error()}
	}
	if reason := s.limits.checkEntry(req.Key, req.Value); reason != "" {
		return Result{Err: reason}
	}
	key := namespaced(client, req.Key)
	current, found := s.data[key]
	switch req.Op {
	case OpGet:
		if reason := admit(current); reason != "" {
			return Result{Err: reason}
		}
		return Result{Found: found, Value: current, OK: true}
	case OpPut:
		if reason := s.setLocked(client, key, len(req.Key), req.Value, current, found); reason != "" {
			return Result{Found: found, Err: reason}
		}
		return Result{Found: found, OK: true}
	case OpDelete:
		if found {
			delete(s.data, key)
			s.deleted = true
			freed := int64(len(req.Key) + len(current))
			s.totalBytes -= freed
			s.clients.add(client, -1, -freed)
		}
		return Result{Found: found, OK: true}
	case OpCAS:
		// The result carries the previous value either way: check its size
		// before anything changes.
		if reason := admit(current); reason != "" {
			return Result{Err: reason}
		}
		matches := found != req.ExpectAbsent && (!found || string(current) == string(req.Old))
		if !matches {
			return Result{Found: found, Value: current}
		}
		if reason := s.setLocked(client, key, len(req.Key), req.Value, current, found); reason != "" {
			return Result{Found: found, Err: reason}
		}
		return Result{Found: found, Value: current, OK: true}
	}
	// Decode accepts no other operation.
	return Result{Err: "kvstore: unknown operation"}
}

// setLocked stores a copy of value under client's namespaced key (whose
// client part is keyBytes long) unless a capacity limit forbids it, in
// which case it returns the reason and changes nothing. The limits are the
// whole store's and client's share of it; a write that does not grow what
// it is checked against (an overwrite with a value no longer than the
// current one) always passes, even for a client above its share (possible
// after restoring a snapshot written under a larger share). The checks read
// only the store's data and the table derived from it, so every replica
// decides alike.
func (s *Store) setLocked(client Owner, key string, keyBytes int, value, current []byte, found bool) string {
	usage := s.clients[client]
	delta := int64(len(value))
	newKeys := 0
	if found {
		delta -= int64(len(current))
	} else {
		delta += int64(keyBytes)
		newKeys = 1
		if len(s.data) >= s.limits.MaxKeys {
			return "store is full: key limit reached"
		}
		if usage.Keys >= s.limits.MaxClientKeys {
			return "store is full for this client: key limit reached"
		}
	}
	if s.totalBytes+delta > s.limits.MaxTotalBytes {
		return "store is full: byte limit reached"
	}
	if delta > 0 && usage.Bytes+delta > s.limits.MaxClientBytes {
		return "store is full for this client: byte limit reached"
	}
	s.data[key] = append([]byte(nil), value...)
	if !found && s.order != nil {
		s.added[key] = struct{}{}
	}
	s.totalBytes += delta
	s.clients.add(client, newKeys, delta)
	return ""
}
