package fairness

import (
	"crypto/sha256"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// perm builds one command per client, sent 1 ms apart, command i executing
// at position execAt[i].
func perm(execAt ...uint32) []Command {
	cmds := make([]Command, len(execAt))
	for i, p := range execAt {
		cmds[i] = Command{Client: uint32(i), SentUs: int64(i) * 1000, Exec: Position{Height: 1, Batch: p}}
	}
	return cmds
}

func TestMeasureKnownPermutations(t *testing.T) {
	tests := []struct {
		name        string
		cmds        []Command
		delta       time.Duration
		pairs, inOr uint64
	}{
		{"empty", nil, 0, 0, 0},
		{"one command", perm(0), 0, 0, 0},
		{"identity", perm(0, 1, 2, 3, 4), 0, 10, 10},
		{"reversed", perm(4, 3, 2, 1, 0), 0, 10, 0},
		{"one swap", perm(1, 0, 2, 3), 0, 6, 5},
		// Sent 1 ms apart: a Δ of 1 ms leaves pairs at least 2 ms apart.
		{"one swap, delta hides it", perm(1, 0, 2, 3), time.Millisecond, 3, 3},
		{"rotation", perm(3, 0, 1, 2), 0, 6, 3},
		{"rotation, delta 1ms", perm(3, 0, 1, 2), time.Millisecond, 3, 1},
		{"delta above every gap", perm(3, 0, 1, 2), time.Second, 0, 0},
		{"negative delta is 0", perm(1, 0, 2, 3), -time.Second, 6, 5},
		{"same send time is no pair", []Command{
			{Client: 1, SentUs: 5, Exec: Position{Height: 2}},
			{Client: 2, SentUs: 5, Exec: Position{Height: 1}},
		}, 0, 0, 0},
		{"equal positions are not in order", []Command{
			{Client: 1, SentUs: 1, Exec: Position{Height: 2, Batch: 3}},
			{Client: 2, SentUs: 2, Exec: Position{Height: 2, Batch: 3}},
		}, 0, 1, 0},
		{"index breaks the tie", []Command{
			{Client: 1, SentUs: 1, Exec: Position{Height: 2, Batch: 3, Index: 0}},
			{Client: 2, SentUs: 2, Exec: Position{Height: 2, Batch: 3, Index: 1}},
		}, 0, 1, 1},
		{"height before batch", []Command{
			{Client: 1, SentUs: 1, Exec: Position{Height: 1, Batch: 9}},
			{Client: 2, SentUs: 2, Exec: Position{Height: 2, Batch: 0}},
		}, 0, 1, 1},
		{"pairs of one client do not count", []Command{
			{Client: 1, SentUs: 1, Exec: Position{Height: 3}},
			{Client: 1, SentUs: 2, Exec: Position{Height: 2}},
			{Client: 2, SentUs: 3, Exec: Position{Height: 1}},
		}, 0, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Measure(tt.cmds, []time.Duration{tt.delta})[0]
			if p.All.Pairs != tt.pairs || p.All.InOrder != tt.inOr {
				t.Fatalf("got %d of %d pairs in order, want %d of %d", p.All.InOrder, p.All.Pairs, tt.inOr, tt.pairs)
			}
			if (p.Fraction == nil) != (tt.pairs == 0) {
				t.Fatalf("fraction %v with %d pairs", p.Fraction, tt.pairs)
			}
			if p.Fraction != nil && *p.Fraction != float64(tt.inOr)/float64(tt.pairs) {
				t.Fatalf("fraction %v", *p.Fraction)
			}
		})
	}
}

func TestMeasureKnownFraction(t *testing.T) {
	// 100 clients sent 1 ms apart, executed in an order whose inversions
	// are known: blocks of 10 reversed give 10*45 inversions of 4950 pairs.
	var execAt []uint32
	for blk := range 10 {
		for i := range 10 {
			execAt = append(execAt, uint32(blk*10+9-i))
		}
	}
	p := Measure(perm(execAt...), DefaultDeltas)
	want := 1 - 450.0/4950
	if p[0].All.Pairs != 4950 || p[0].Fraction == nil || *p[0].Fraction != want {
		t.Fatalf("Δ=0: %+v, want fraction %v", p[0].All, want)
	}
	if p[0].DeltaMs != 0 || p[2].DeltaMs != 10 || p[3].DeltaMs != 100 {
		t.Fatalf("deltas %v %v %v", p[0].DeltaMs, p[2].DeltaMs, p[3].DeltaMs)
	}
	// Δ=10 ms: only pairs at least 11 ms apart remain; none of them is
	// inside one block of 10.
	if p[2].All.InOrder != p[2].All.Pairs || p[2].All.Pairs == 0 {
		t.Fatalf("Δ=10ms: %+v", p[2].All)
	}
}

func TestMeasureTargetSplit(t *testing.T) {
	// A targeted client's command is delayed past two others: the pairs it
	// should have gone first in are the ones out of order.
	cmds := []Command{
		{Client: 0, SentUs: 0, Exec: Position{Height: 3}, Target: true},
		{Client: 1, SentUs: 10, Exec: Position{Height: 1}},
		{Client: 2, SentUs: 20, Exec: Position{Height: 2}},
		{Client: 3, SentUs: 30, Exec: Position{Height: 4}, Target: true},
	}
	s := Measure(cmds, []time.Duration{0})[0].Targets
	tests := []struct {
		name string
		got  Count
		want Count
	}{
		{"earlier targeted", s.EarlierTargeted, Count{Pairs: 2, InOrder: 0}},
		{"later targeted", s.LaterTargeted, Count{Pairs: 2, InOrder: 2}},
		{"both", s.BothTargeted, Count{Pairs: 1, InOrder: 1}},
		{"neither", s.Neither, Count{Pairs: 1, InOrder: 1}},
		{"later from targets", s.LaterFromTargets(), Count{Pairs: 3, InOrder: 3}},
		{"later from others", s.LaterFromOthers(), Count{Pairs: 3, InOrder: 1}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, tt.got, tt.want)
		}
	}
}

// bruteForce counts by enumerating every pair.
func bruteForce(cmds []Command, delta time.Duration) byClass {
	var b byClass
	d := max(delta, 0).Microseconds()
	for _, a := range cmds {
		for _, c := range cmds {
			if a.Client == c.Client || !(a.SentUs+d < c.SentUs) {
				continue
			}
			n := &b[class(a.Target)][class(c.Target)]
			n.Pairs++
			if a.Exec.Compare(c.Exec) < 0 {
				n.InOrder++
			}
		}
	}
	return b
}

func TestMeasureMatchesBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 60).Draw(t, "n")
		clients := rapid.Uint32Range(1, 6).Draw(t, "clients")
		cmds := make([]Command, n)
		for i := range cmds {
			cmds[i] = Command{
				Client: rapid.Uint32Range(0, clients-1).Draw(t, "client"),
				SentUs: rapid.Int64Range(0, 5000).Draw(t, "sent"),
				Exec: Position{
					Height: rapid.Uint64Range(1, 6).Draw(t, "height"),
					Batch:  rapid.Uint32Range(0, 3).Draw(t, "batch"),
					Index:  rapid.Uint32Range(0, 2).Draw(t, "index"),
				},
				Target: rapid.Bool().Draw(t, "target"),
			}
		}
		deltas := []time.Duration{
			time.Duration(rapid.Int64Range(-1000, 6000).Draw(t, "deltaUs")) * time.Microsecond, 0, time.Millisecond,
		}
		before := append([]Command(nil), cmds...)
		points := Measure(cmds, deltas)
		for i, d := range deltas {
			want := bruteForce(cmds, d).point(max(d, 0))
			got := points[i]
			if got.All != want.All || got.Targets != want.Targets {
				t.Fatalf("Δ=%v: got %+v %+v, brute force %+v %+v", d, got.All, got.Targets, want.All, want.Targets)
			}
		}
		for i := range cmds {
			if cmds[i] != before[i] {
				t.Fatalf("Measure modified its input at %d", i)
			}
		}
	})
}

func TestEvenHashTargetSplitsClients(t *testing.T) {
	targeted := 0
	for i := range 256 {
		// Client ids are derived from public keys: as random as a hash.
		sum := sha256.Sum256([]byte{byte(i)})
		if EvenHashTarget(sum[:16]) {
			targeted++
		}
	}
	// Not a statistical test: the rule must not be constant.
	if targeted == 0 || targeted == 256 {
		t.Fatalf("%d of 256 clients targeted", targeted)
	}
	if EvenHashTarget([]byte{1, 2, 3}) != EvenHashTarget([]byte{1, 2, 3}) {
		t.Fatal("not deterministic")
	}
}

func BenchmarkMeasure(b *testing.B) {
	cmds := make([]Command, 200_000)
	for i := range cmds {
		cmds[i] = Command{Client: uint32(i % 16), SentUs: int64(i * 50), Exec: Position{Height: uint64(i/100 + (i*7919)%3), Batch: uint32(i % 100)}, Target: i%2 == 0}
	}
	b.ResetTimer()
	for range b.N {
		Measure(cmds, DefaultDeltas)
	}
}
