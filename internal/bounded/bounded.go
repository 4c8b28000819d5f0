package bounded

import "sync"

// Map holds at most Cap entries; adding a new key to a full map evicts the
// key added longest ago. Updating an existing key does not refresh its age.
// It is not safe for concurrent use.
type Map[K comparable, V any] struct {
	cap   int
	m     map[K]V
	order []K
	next  int
}

// NewMap makes a map of capacity cap (at least 1).
func NewMap[K comparable, V any](cap int) *Map[K, V] {
	if cap < 1 {
		cap = 1
	}
	return &Map[K, V]{cap: cap, m: make(map[K]V)}
}

// Get returns the value at k.
func (b *Map[K, V]) Get(k K) (V, bool) {
	v, ok := b.m[k]
	return v, ok
}

// Has reports whether k is present.
func (b *Map[K, V]) Has(k K) bool {
	_, ok := b.m[k]
	return ok
}

// Put sets k to v, evicting the oldest key if a new key finds the map full.
func (b *Map[K, V]) Put(k K, v V) {
	if _, ok := b.m[k]; ok {
		b.m[k] = v
		return
	}
	if len(b.order) < b.cap {
		b.order = append(b.order, k)
	} else {
		delete(b.m, b.order[b.next])
		b.order[b.next] = k
		b.next = (b.next + 1) % b.cap
	}
	b.m[k] = v
}

// Len is the number of entries.
func (b *Map[K, V]) Len() int { return len(b.m) }

// Set is a Map without values.
type Set[K comparable] struct{ m *Map[K, struct{}] }

// NewSet makes a set of capacity cap.
func NewSet[K comparable](cap int) *Set[K] { return &Set[K]{m: NewMap[K, struct{}](cap)} }

// Has reports whether k is present.
func (s *Set[K]) Has(k K) bool { return s.m.Has(k) }

// Add inserts k, evicting the oldest key if the set is full.
func (s *Set[K]) Add(k K) { s.m.Put(k, struct{}{}) }

// Len is the number of keys.
func (s *Set[K]) Len() int { return s.m.Len() }

// SyncSet is a Set safe for concurrent use.
type SyncSet[K comparable] struct {
	mu sync.Mutex
	s  *Set[K]
}

// NewSyncSet makes a concurrent set of capacity cap.
func NewSyncSet[K comparable](cap int) *SyncSet[K] { return &SyncSet[K]{s: NewSet[K](cap)} }

// Has reports whether k is present.
func (s *SyncSet[K]) Has(k K) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.s.Has(k)
}

// Add inserts k.
func (s *SyncSet[K]) Add(k K) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.s.Add(k)
}

// Len is the number of keys.
func (s *SyncSet[K]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.s.Len()
}
