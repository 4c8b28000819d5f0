package loadgen

import (
	"bytes"
	"testing"

	"github.com/pompe-bft/pompe/pkg/app/kvstore"
)

func TestPayloadsHaveExactSizeAndDistinctKeys(t *testing.T) {
	for _, size := range []int{MinPayloadBytes, MinPayloadBytes + 1, 64, 127, 128, 129, 1000, 16 << 10, MaxPayloadBytes} {
		p := newPayloads(7, size)
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
