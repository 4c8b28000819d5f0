package servebudget

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/batch"
)

func TestServe(t *testing.T) {
	const mib = 1 << 20
	var d1, d2 batch.Digest
	d2[0] = 1
	repeat := func(d batch.Digest, n int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = d[:]
		}
		return out
	}
	cases := []struct {
		name    string
		digests [][]byte
		size    int
		want    int
	}{
		{"one digest 1,024 times is served once", repeat(d1, 1024), mib, 1},
		{"two distinct digests", [][]byte{d1[:], d2[:], d1[:]}, mib, 2},
		{"a response stops at its byte bound", append(repeat(d1, 1), d2[:]), 5 * mib, 1},
		{"malformed digests are skipped", [][]byte{{1, 2}, d1[:]}, mib, 1},
		{"more than MaxDigests names", append(repeat(d1, MaxDigests), d2[:]), mib, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bs := New(4, Limits{MaxResponseBytes: 4 * mib, BurstBytes: 100 * mib, BytesPerSec: mib})
			n := 0
			bs.Serve(1, 2, tc.digests, func(batch.Digest) int { n++; return tc.size })
			if n != tc.want {
				t.Fatalf("served %d, want %d", n, tc.want)
			}
		})
	}
}

func TestBudgetPerPeer(t *testing.T) {
	const mib = 1 << 20
	bs := New(4, Limits{MaxResponseBytes: 4 * mib, BurstBytes: 8 * mib, BytesPerSec: mib})
	served := func(now int64, peer uint32) int {
		n := 0
		for i := 0; i < 20; i++ {
			var d batch.Digest
			d[0], d[1] = byte(i), byte(now)
			bs.Serve(now, peer, [][]byte{d[:]}, func(batch.Digest) int { n++; return mib })
		}
		return n
	}
	if n := served(1, 2); n != 8 {
		t.Fatalf("peer 2 got %d MiB at once, its burst is 8", n)
	}
	if n := served(1, 3); n != 8 {
		t.Fatalf("peer 3 got %d MiB: another peer's spending must not count", n)
	}
	if n := served(2_000_001, 2); n != 2 {
		t.Fatalf("after 2 s at 1 MiB/s peer 2 got %d MiB, want 2", n)
	}
	if n := served(2_000_001, 9); n != 0 {
		t.Fatalf("an unknown peer got %d", n)
	}
}
