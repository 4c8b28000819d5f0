package fairness

import "time"

// Count is a number of pairs and how many of them executed in send order.
type Count struct {
	Pairs   uint64 `json:"pairs"`
	InOrder uint64 `json:"in_order"`
}

// Fraction is InOrder/Pairs; ok is false when there is no pair.
func (c Count) Fraction() (f float64, ok bool) {
	if c.Pairs == 0 {
		return 0, false
	}
	return float64(c.InOrder) / float64(c.Pairs), true
}

func (c *Count) add(o Count) {
	c.Pairs += o.Pairs
	c.InOrder += o.InOrder
}

func (c *Count) sub(o Count) {
	c.Pairs -= o.Pairs
	c.InOrder -= o.InOrder
}

// Split counts pairs by which of their commands is targeted; "earlier" is
// the command sent first.
type Split struct {
	// EarlierTargeted: the earlier command is targeted, the later not.
	// A targeted delay shows here: the victim should go first.
	EarlierTargeted Count `json:"earlier_targeted"`
	// LaterTargeted: the later command is targeted, the earlier not.
	LaterTargeted Count `json:"later_targeted"`
	BothTargeted  Count `json:"both_targeted"`
	Neither       Count `json:"neither"`
}

// LaterFromTargets is every pair whose later command is targeted.
func (s Split) LaterFromTargets() Count {
	c := s.LaterTargeted
	c.add(s.BothTargeted)
	return c
}

// LaterFromOthers is every pair whose later command is not targeted.
func (s Split) LaterFromOthers() Count {
	c := s.EarlierTargeted
	c.add(s.Neither)
	return c
}

// Point is the measure at one Δ.
type Point struct {
	Delta time.Duration `json:"-"`
	// DeltaMs is Delta in milliseconds.
	DeltaMs float64 `json:"delta_ms"`
	// All counts every pair of commands of different clients sent more
	// than Delta apart.
	All Count `json:"all"`
	// Fraction is All's fraction, null when there is no pair.
	Fraction *float64 `json:"fraction"`
	// Targets splits All by targeted commands.
	Targets Split `json:"targets"`
}

// byClass holds counts indexed [earlier targeted][later targeted].
type byClass [2][2]Count

func (b *byClass) add(o byClass) {
	for i := range b {
		for j := range b[i] {
			b[i][j].add(o[i][j])
		}
	}
}

func (b *byClass) sub(o byClass) {
	for i := range b {
		for j := range b[i] {
			b[i][j].sub(o[i][j])
		}
	}
}

func (b byClass) point(delta time.Duration) Point {
	p := Point{
		Delta: delta, DeltaMs: float64(delta) / float64(time.Millisecond),
		Targets: Split{EarlierTargeted: b[1][0], LaterTargeted: b[0][1], BothTargeted: b[1][1], Neither: b[0][0]},
	}
	for i := range b {
		for j := range b[i] {
			p.All.add(b[i][j])
		}
	}
	if f, ok := p.All.Fraction(); ok {
		p.Fraction = &f
	}
	return p
}
