package fairness

// fenwick counts inserted ranks 1..n and answers prefix counts, both in
// O(log n).
type fenwick struct{ tree []uint64 }

func (f *fenwick) reset(n int) {
	if cap(f.tree) < n+1 {
		f.tree = make([]uint64, n+1)
		return
	}
	f.tree = f.tree[:n+1]
	clear(f.tree)
}

// add counts one more entry at rank i (1-based).
func (f *fenwick) add(i int) {
	for ; i < len(f.tree); i += i & -i {
		f.tree[i]++
	}
}

// prefix is the number of entries at ranks 1..i.
func (f *fenwick) prefix(i int) uint64 {
	var n uint64
	for ; i > 0; i -= i & -i {
		n += f.tree[i]
	}
	return n
}
