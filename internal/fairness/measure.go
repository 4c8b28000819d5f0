package fairness

import (
	"cmp"
	"slices"
	"time"
)

// DefaultDeltas are the Δ values reported unless a caller chooses others.
var DefaultDeltas = []time.Duration{0, time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond}

// Measure counts, for each delta, the pairs (a, b) of commands of
// different clients with a.SentUs + delta < b.SentUs, and how many of them
// have a.Exec before b.Exec. Negative deltas count as 0. It takes
// O(N log N) time per delta and O(N) memory; cmds is not modified.
func Measure(cmds []Command, deltas []time.Duration) []Point {
	all := prepare(cmds)
	groups := byClient(all)
	points := make([]Point, 0, len(deltas))
	var s sweeper
	for _, d := range deltas {
		d = max(d, 0)
		deltaUs := d.Microseconds()
		counts := s.run(all, deltaUs)
		for _, g := range groups {
			counts.sub(s.run(g, deltaUs))
		}
		points = append(points, counts.point(d))
	}
	return points
}

// entry is a command reduced to what the sweep needs; rank is the dense
// rank of its execution position, equal positions sharing a rank.
type entry struct {
	sentUs int64
	rank   int
	client uint32
	target bool
}

// prepare ranks the execution positions and sorts the entries by send
// time (then client, for a deterministic grouping).
func prepare(cmds []Command) []entry {
	order := make([]int, len(cmds))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return cmds[i].Exec.Compare(cmds[j].Exec) })
	all := make([]entry, len(cmds))
	rank := 0
	for k, i := range order {
		if k == 0 || cmds[order[k-1]].Exec.Compare(cmds[i].Exec) != 0 {
			rank++
		}
		c := cmds[i]
		all[i] = entry{sentUs: c.SentUs, rank: rank, client: c.Client, target: c.Target}
	}
	slices.SortStableFunc(all, func(a, b entry) int { return cmp.Compare(a.sentUs, b.sentUs) })
	return all
}

// byClient returns the entries of each client, each group in send order.
func byClient(sorted []entry) [][]entry {
	grouped := slices.Clone(sorted)
	slices.SortStableFunc(grouped, func(a, b entry) int { return cmp.Compare(a.client, b.client) })
	var groups [][]entry
	for start := 0; start < len(grouped); {
		end := start + 1
		for end < len(grouped) && grouped[end].client == grouped[start].client {
			end++
		}
		groups = append(groups, grouped[start:end])
		start = end
	}
	return groups
}

// sweeper counts ordered pairs of entries sorted by send time. It keeps
// its buffers between runs.
type sweeper struct {
	trees [2]fenwick // one per target class of the earlier command
	ranks []int
}

func (s *sweeper) run(sorted []entry, deltaUs int64) byClass {
	// Compress the ranks of this set so the trees are as small as it is.
	s.ranks = s.ranks[:0]
	for _, e := range sorted {
		s.ranks = append(s.ranks, e.rank)
	}
	slices.Sort(s.ranks)
	s.ranks = slices.Compact(s.ranks)
	for i := range s.trees {
		s.trees[i].reset(len(s.ranks))
	}
	local := func(rank int) int {
		i, _ := slices.BinarySearch(s.ranks, rank)
		return i + 1
	}

	var counts byClass
	var inserted [2]uint64
	next := 0
	for _, b := range sorted {
		// Every command sent more than delta before b becomes an earlier
		// command of b. Send order makes next stop before b itself.
		for next < len(sorted) && sorted[next].sentUs < b.sentUs-deltaUs {
			a := sorted[next]
			s.trees[class(a.target)].add(local(a.rank))
			inserted[class(a.target)]++
			next++
		}
		r, cb := local(b.rank), class(b.target)
		for ca := range s.trees {
			counts[ca][cb].Pairs += inserted[ca]
			counts[ca][cb].InOrder += s.trees[ca].prefix(r - 1)
		}
	}
	return counts
}

func class(target bool) int {
	if target {
		return 1
	}
	return 0
}
