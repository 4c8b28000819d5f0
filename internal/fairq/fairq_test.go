package fairq

import (
	"testing"

	"pgregory.net/rapid"
)

type msg struct {
	from string
	n    int
}

// A sender of small items is served after at most one item of a sender
// that queued many large ones before it, not after all of them.
func TestSmallSenderDoesNotWaitBehindAFlood(t *testing.T) {
	tests := []struct {
		name      string
		floodCost int
		flood     int
		maxWait   int // flood items served before the small sender's item
	}{
		{name: "large items", floodCost: 4 << 20, flood: 8, maxWait: 1},
		{name: "items of one quantum", floodCost: 64 << 10, flood: 50, maxWait: 1},
		{name: "small items", floodCost: 100, flood: 1000, maxWait: (64 << 10) / 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := New[string, msg](64<<10, 1<<20, 1<<40)
			for i := range tc.flood {
				if !q.Push("flood", msg{"flood", i}, tc.floodCost) {
					t.Fatal("push refused below the bounds")
				}
			}
			q.Push("small", msg{"small", 0}, 200)
			waited := 0
			for {
				m, ok := q.Pop()
				if !ok {
					t.Fatal("the small sender's item was never served")
				}
				if m.from == "small" {
					break
				}
				waited++
			}
			if waited > tc.maxWait {
				t.Fatalf("the small sender waited behind %d flood items, want at most %d", waited, tc.maxWait)
			}
		})
	}
}

func TestBoundsAreBackPressure(t *testing.T) {
	q := New[int, int](10, 3, 100)
	if !q.Push(1, 1, 60) || !q.Push(2, 2, 40) {
		t.Fatal("refused within the bounds")
	}
	if q.Push(3, 3, 1) {
		t.Fatal("accepted beyond the cost bound")
	}
	q.Pop()
	if !q.Push(3, 3, 1) || !q.Push(4, 4, 0) {
		t.Fatal("refused within the bounds after a pop")
	}
	if q.Push(6, 6, 0) {
		t.Fatalf("accepted a fourth item, count bound 3")
	}
	for q.Len() > 0 {
		q.Pop()
	}
	if !q.Push(5, 5, 1000) {
		t.Fatal("an item larger than the cost bound refused by an empty queue")
	}
	if q.Cost() != 1000 || q.Len() != 1 {
		t.Fatalf("len %d cost %d", q.Len(), q.Cost())
	}
}

// Every item pushed is popped exactly once, each sender's items in the
// order pushed, Peek returns what Pop removes next, and senders with items
// waiting are served within a bounded number of items of each other.
func TestProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		quantum := rapid.IntRange(1, 1000).Draw(t, "quantum")
		q := New[int, msg](quantum, 1<<20, 1<<40)
		next := map[int]int{}
		popped := map[int]int{}
		pushed := 0
		ops := rapid.IntRange(1, 300).Draw(t, "ops")
		for i := range ops {
			if q.Len() == 0 || rapid.Bool().Draw(t, "push") {
				from := rapid.IntRange(0, 4).Draw(t, "from")
				cost := rapid.IntRange(0, 3000).Draw(t, "cost")
				if !q.Push(from, msg{"", next[from]*10 + from}, cost) {
					t.Fatalf("op %d: push refused", i)
				}
				next[from]++
				pushed++
				continue
			}
			p, ok := q.Peek()
			m, ok2 := q.Pop()
			if !ok || !ok2 || p != m {
				t.Fatalf("op %d: peek %v %v, pop %v %v", i, p, ok, m, ok2)
			}
			from := m.n % 10
			if m.n/10 != popped[from] {
				t.Fatalf("sender %d: item %d served before item %d", from, m.n/10, popped[from])
			}
			popped[from]++
		}
		for q.Len() > 0 {
			m, _ := q.Pop()
			from := m.n % 10
			if m.n/10 != popped[from] {
				t.Fatalf("sender %d: item %d served before item %d", from, m.n/10, popped[from])
			}
			popped[from]++
		}
		total := 0
		for from, n := range next {
			if popped[from] != n {
				t.Fatalf("sender %d: %d pushed, %d popped", from, n, popped[from])
			}
			total += n
		}
		if total != pushed || q.Cost() != 0 {
			t.Fatalf("%d pushed, %d popped, cost left %d", pushed, total, q.Cost())
		}
	})
}

// Shares are in cost, not in items: while two senders both have items
// waiting, the cost served to each stays within a quantum and an item of
// the other's.
func TestSharesAreInCost(t *testing.T) {
	const quantum = 1000
	q := New[string, msg](quantum, 1<<20, 1<<40)
	for i := range 200 {
		q.Push("large", msg{"large", i}, 900)
		q.Push("small", msg{"small", i}, 90)
	}
	served := map[string]int{}
	for q.Len() > 0 {
		m, _ := q.Pop()
		cost := 900
		if m.from == "small" {
			cost = 90
		}
		served[m.from] += cost
		if served["small"] >= 200*90 || served["large"] >= 200*900 {
			break // one sender ran out: the other may take everything
		}
		if d := served["large"] - served["small"]; d > quantum+900 || -d > quantum+900 {
			t.Fatalf("served large %d, small %d: apart by more than a quantum and an item", served["large"], served["small"])
		}
	}
}
