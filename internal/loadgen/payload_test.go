package loadgen

import (
	"bytes"
	"testing"

	"github.com/pompe-bft/pompe/pkg/app/kvstore"
)

func TestPayloadsHaveExactSizeAndDistinctKeys(t *testing.T) {
	for _, size := range []int{MinPayloadBytes, MinPayloadBytes + 1, 64, 127, 128, 129, 1000, 16 << 10, MaxPayloadBytes} {
		p := newPayloads(7, size, 3)
		seen := map[string]bool{}
		for range 3 {
			cmd := p.nextPut()
			if len(cmd) != size {
				t.Errorf("size %d: command of %d bytes", size, len(cmd))
			}
			req, err := kvstore.Decode(cmd)
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			if req.Op != kvstore.OpPut || seen[string(req.Key)] || !bytes.HasPrefix(req.Key, []byte("lg/00007/")) {
				t.Errorf("size %d: bad or repeated put %q", size, req.Key)
			}
			seen[string(req.Key)] = true
		}
	}
}

// TestPayloadsCycleThroughTheirKeys: a client writes its share of the key
// space in turn, so the state a run leaves behind is bounded.
func TestPayloadsCycleThroughTheirKeys(t *testing.T) {
	for _, keys := range []int{0, 1, 5, 1000} {
		p := newPayloads(3, 64, keys)
		seen := map[string]int{}
		for i := range 3 * max(keys, 1) {
			req, err := kvstore.Decode(p.nextPut())
			if err != nil {
				t.Fatal(err)
			}
			if first, ok := seen[string(req.Key)]; ok && first != i%max(keys, 1) {
				t.Fatalf("keys %d: command %d repeats the key of command %d", keys, i, first)
			} else if !ok {
				seen[string(req.Key)] = i
			}
		}
		if len(seen) != max(keys, 1) {
			t.Errorf("keys %d: wrote %d distinct keys", keys, len(seen))
		}
	}
}
