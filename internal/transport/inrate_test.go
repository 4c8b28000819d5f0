package transport

import (
	"net/netip"
	"testing"
	"time"
)

// Large client frames are paced per source prefix: within the burst a
// frame is read at once, beyond it the reader waits for the bytes at the
// configured rate, and another prefix is not slowed by the first one's
// debt.
func TestClientFramesPacedPerPrefix(t *testing.T) {
	now := time.Unix(1000, 0)
	r := newPrefixRate(1<<20, 4<<20) // 1 MiB/s, bursts of 4 MiB
	r.now = func() time.Time { return now }
	flood := netip.MustParsePrefix("10.0.0.0/24")
	other := netip.MustParsePrefix("10.0.1.0/24")
	tests := []struct {
		name    string
		advance time.Duration
		p       netip.Prefix
		n       int
		want    time.Duration
	}{
		{name: "within the burst", p: flood, n: 4 << 20, want: 0},
		{name: "one frame past it waits for its bytes", p: flood, n: 1 << 20, want: time.Second},
		{name: "and the next for its own after that", p: flood, n: 2 << 20, want: 3 * time.Second},
		{name: "another prefix is not paced", p: other, n: 4 << 20, want: 0},
		{name: "time pays the debt back", advance: 5 * time.Second, p: flood, n: 1 << 20, want: 0},
	}
	for _, tc := range tests {
		now = now.Add(tc.advance)
		if got := r.take(tc.p, tc.n); got != tc.want {
			t.Fatalf("%s: wait %v, want %v", tc.name, got, tc.want)
		}
	}
	off := newPrefixRate(-1, 1)
	if off != nil || off.take(flood, 1<<30) != 0 {
		t.Fatal("a negative rate must disable pacing")
	}
}

// A frame's bytes beyond freeFrameBytes are paced before its reservation;
// small frames never are.
func TestFrameReservationPacesLargeFrames(t *testing.T) {
	var paced []int
	f := &frameReservation[int]{b: newInboundBudget[int](1<<30, 1<<30), key: 1, stop: make(chan struct{}),
		pace: func(n int, _ <-chan struct{}) bool { paced = append(paced, n); return true }}
	for _, n := range []int{100, freeFrameBytes, freeFrameBytes + 10, 4 << 20} {
		release, ok := f.reserve(n)
		if !ok {
			t.Fatalf("reserve(%d) refused", n)
		}
		release()
	}
	if len(paced) != 2 || paced[0] != 10 || paced[1] != 4<<20-freeFrameBytes {
		t.Fatalf("paced %v, want the bytes beyond %d of the two large frames", paced, freeFrameBytes)
	}
}
