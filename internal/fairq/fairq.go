package fairq

// Queue holds items of senders K. It is bounded in count and in total cost;
// Push refuses an item beyond either bound (the caller stops reading from
// its source until Pop makes room, so the bound is back-pressure, not loss).
// A single item may exceed the cost bound when the queue is empty, so that
// no item is refused forever. Queue is not safe for concurrent use.
type Queue[K comparable, V any] struct {
	quantum  int
	maxItems int
	maxCost  int

	flows  map[K]*flow[K, V]
	active []*flow[K, V] // senders with items, in round-robin order; active[0] is served next
	items  int
	cost   int
}

type flow[K comparable, V any] struct {
	items   []item[V]
	deficit int
	key     K
}

type item[V any] struct {
	v    V
	cost int
}

// New returns a queue that serves each active sender quantum cost per
// round and holds at most maxItems items and maxCost cost.
func New[K comparable, V any](quantum, maxItems, maxCost int) *Queue[K, V] {
	return &Queue[K, V]{quantum: max(1, quantum), maxItems: max(1, maxItems), maxCost: max(1, maxCost), flows: make(map[K]*flow[K, V])}
}

// Len is the number of items held.
func (q *Queue[K, V]) Len() int { return q.items }

// Cost is the total cost of the items held.
func (q *Queue[K, V]) Cost() int { return q.cost }

// Full reports whether an item of cost would be refused.
func (q *Queue[K, V]) Full(cost int) bool {
	return q.items > 0 && (q.items >= q.maxItems || q.cost+cost > q.maxCost)
}

// Push appends v of cost (negative counts as 0) to key's items. It reports
// false, holding nothing, when the queue is full.
func (q *Queue[K, V]) Push(key K, v V, cost int) bool {
	cost = max(0, cost)
	if q.Full(cost) {
		return false
	}
	f, ok := q.flows[key]
	if !ok {
		f = &flow[K, V]{key: key}
		q.flows[key] = f
	}
	if len(f.items) == 0 {
		q.active = append(q.active, f)
	}
	f.items = append(f.items, item[V]{v: v, cost: cost})
	q.items++
	q.cost += cost
	return true
}

// Peek returns the item served next, without removing it; repeated calls
// return the same item until Pop.
func (q *Queue[K, V]) Peek() (V, bool) {
	for len(q.active) > 0 {
		f := q.active[0]
		if f.deficit >= f.items[0].cost {
			return f.items[0].v, true
		}
		// Not enough credit this round: the sender gets its quantum and
		// goes to the back. A sender alone gains credit until its item
		// fits; the number of rounds is bounded by cost / quantum.
		f.deficit += q.quantum
		if len(q.active) > 1 {
			q.active = append(q.active[1:], f)
		}
	}
	var zero V
	return zero, false
}

// Pop removes the item Peek returns and reports it.
func (q *Queue[K, V]) Pop() (V, bool) {
	v, ok := q.Peek()
	if !ok {
		return v, false
	}
	f := q.active[0]
	it := f.items[0]
	f.items[0] = item[V]{}
	f.items = f.items[1:]
	f.deficit -= it.cost
	q.items--
	q.cost -= it.cost
	if len(f.items) == 0 {
		// An idle sender keeps no credit (it would let it burst later)
		// and no memory.
		q.active[0] = nil
		q.active = q.active[1:]
		delete(q.flows, f.key)
	}
	return v, true
}
