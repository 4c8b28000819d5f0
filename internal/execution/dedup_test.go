package execution

import (
	"encoding/binary"
	"testing"

	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/crypto"
)

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// TestSeqSetModel checks the set against a plain map while no bound is hit.
func TestSeqSetModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var s seqSet
		model := map[uint64]bool{0: true} // seq 0 counts as executed
		for _, seq := range rapid.SliceOf(rapid.Uint64Range(0, 60)).Draw(t, "seqs") {
			if s.has(seq) != model[seq] {
				t.Fatalf("has(%d) = %v before add, model %v", seq, s.has(seq), model[seq])
			}
			s.add(seq)
			model[seq] = true
		}
		for seq := uint64(0); seq <= 62; seq++ {
			if s.has(seq) != model[seq] {
				t.Fatalf("has(%d) = %v, model %v (low %d above %v)", seq, s.has(seq), model[seq], s.low, s.above)
			}
		}
		// Compactness: nothing at or below low, and low+1 never sparse.
		for k := range s.above {
			if k <= s.low+1 {
				t.Fatalf("sparse set holds %d with low %d", k, s.low)
			}
		}
	})
}

func TestSeqSetSparseBound(t *testing.T) {
	var s seqSet
	// Every other number: nothing becomes contiguous.
	for i := uint64(1); i <= MaxSparsePerClient; i++ {
		s.add(2 * i)
	}
	if s.low != 0 || len(s.above) != MaxSparsePerClient {
		t.Fatalf("low %d, %d sparse; want 0, %d", s.low, len(s.above), MaxSparsePerClient)
	}
	if s.has(1) {
		t.Fatal("seq 1 counts as executed before the bound is hit")
	}
	s.add(2*MaxSparsePerClient + 2)
	if len(s.above) > MaxSparsePerClient {
		t.Fatalf("%d sparse entries, bound %d", len(s.above), MaxSparsePerClient)
	}
	// The low-water mark rose to the smallest sparse number (2): seq 1,
	// skipped by the client, now counts as executed.
	if s.low != 2 || !s.has(1) || s.has(3) || !s.has(4) {
		t.Fatalf("after overflow: low %d has(1)=%v has(3)=%v has(4)=%v", s.low, s.has(1), s.has(3), s.has(4))
	}
	// Filling the gaps still works and compacts.
	s.add(3)
	if s.low != 4 {
		t.Fatalf("low %d after filling 3, want 4", s.low)
	}
}

func TestDedupEncodeRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := make(dedup)
		nClients := rapid.IntRange(0, 4).Draw(t, "clients")
		for i := range nClients {
			var id crypto.ClientID
			id[0] = byte(i)
			s := &seqSet{}
			for _, seq := range rapid.SliceOf(rapid.Uint64Range(1, 1<<40)).Draw(t, "seqs") {
				s.add(seq)
			}
			d[id] = s
		}
		enc := d.encode()
		back, err := decodeDedup(enc)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if string(back.encode()) != string(enc) {
			t.Fatal("encode(decode(x)) != x")
		}
		for id, s := range d {
			b := back[id]
			if b == nil || b.low != s.low || len(b.above) != len(s.above) {
				t.Fatalf("client %v: %+v, want %+v", id, b, s)
			}
			for k := range s.above {
				if _, ok := b.above[k]; !ok {
					t.Fatalf("client %v lost sparse %d", id, k)
				}
			}
		}
		// Encoding is canonical: a clone built in another order encodes the same.
		again := make(dedup)
		for id, s := range back {
			again[id] = s
		}
		if string(again.encode()) != string(enc) {
			t.Fatal("encoding depends on map order")
		}
	})
}

func TestDecodeDedupNeverPanics(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "b")
		d, err := decodeDedup(b)
		if err != nil && d != nil {
			t.Fatal("state returned with an error")
		}
	})
}
