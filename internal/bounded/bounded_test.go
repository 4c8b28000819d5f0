package bounded

import (
	"testing"

	"pgregory.net/rapid"
)

// TestMapMatchesModel checks Map against a model: a map plus an insertion
// order from which the oldest keys are dropped beyond the capacity.
func TestMapMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		capacity := rapid.IntRange(1, 8).Draw(t, "cap")
		m := NewMap[int, int](capacity)
		model := map[int]int{}
		var order []int
		for i, n := 0, rapid.IntRange(0, 100).Draw(t, "ops"); i < n; i++ {
			k := rapid.IntRange(0, 12).Draw(t, "key")
			v := rapid.Int().Draw(t, "value")
			m.Put(k, v)
			if _, ok := model[k]; !ok {
				order = append(order, k)
				if len(order) > capacity {
					delete(model, order[0])
					order = order[1:]
				}
			}
			model[k] = v
			if m.Len() != len(model) {
				t.Fatalf("len %d, model %d", m.Len(), len(model))
			}
			for mk, mv := range model {
				if got, ok := m.Get(mk); !ok || got != mv {
					t.Fatalf("key %d: got %d,%v want %d", mk, got, ok, mv)
				}
			}
		}
	})
}

func TestSyncSet(t *testing.T) {
	s := NewSyncSet[string](2)
	s.Add("a")
	s.Add("b")
	s.Add("c")
	if s.Has("a") || !s.Has("b") || !s.Has("c") || s.Len() != 2 {
		t.Fatal("oldest key not evicted")
	}
}
