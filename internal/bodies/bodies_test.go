package bodies

import (
	"errors"
	"testing"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/storage"
)

func TestPruneKeepsRetention(t *testing.T) {
	s := storage.NewMem()
	p := &Pruner{Retention: 2}
	var ds []batch.Digest
	for h := uint64(1); h <= 6; h++ {
		d := batch.DigestOf([]byte{byte(h)})
		ds = append(ds, d)
		var w storage.Batch
		Put(&w, d, []byte{byte(h)})
		Committed(&w, h, d)
		p.Prune(s, &w, h)
		if err := s.Apply(&w, true); err != nil {
			t.Fatal(err)
		}
	}
	for i, d := range ds {
		_, err := Get(s, d)
		kept := uint64(i+1) >= 6-2
		if kept != (err == nil) || (!kept && !errors.Is(err, storage.ErrNotFound)) {
			t.Fatalf("height %d: kept=%v, err=%v", i+1, kept, err)
		}
	}
	n := 0
	_ = EachCommitted(s, func(batch.Digest) { n++ })
	if n != 3 {
		t.Fatalf("%d indexed digests, want the 3 retained (heights 4 to 6)", n)
	}
}
