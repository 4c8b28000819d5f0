package byzantine

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// TestReverseTSProperty: whatever the real timestamps, every new digest
// gets a timestamp below the previous new digest's and at least 1, and a
// repeated digest gets the timestamp it got first.
func TestReverseTSProperty(t *testing.T) {
	f := newFixture(t, 4)
	rapid.Check(t, func(rt *rapid.T) {
		tr := f.transformer(t, ReverseTS, 1, true)
		first := map[int]int64{}
		prev := int64(0)
		for i, k := range rapid.SliceOfN(rapid.IntRange(0, 30), 1, 60).Draw(rt, "digests") {
			real := rapid.Int64Range(1, 1<<40).Draw(rt, "ts")
			got := tr.Client(crypto.ClientID{}, f.tsReply(1, digest(k), real)).GetTimestampReply().Cert.Ts
			if got < 1 {
				rt.Fatalf("step %d: ts %d", i, got)
			}
			if was, ok := first[k]; ok {
				if got != was {
					rt.Fatalf("digest %d: %d, earlier %d", k, got, was)
				}
				continue
			}
			if prev != 0 && got >= prev && prev > 1 {
				rt.Fatalf("step %d: ts %d not below %d", i, got, prev)
			}
			first[k], prev = got, got
		}
	})
}
