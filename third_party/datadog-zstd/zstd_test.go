package zstd

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// Round trips at several levels and sizes, compressible or not, with the
// output in the caller's buffer as pebble requires (it panics otherwise).
func TestRoundTripInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{1, 100, 4096, 128 << 10, 1 << 20} {
		for _, random := range []bool{false, true} {
			src := make([]byte, size)
			for i := range src {
				if random {
					src[i] = byte(rng.Uint32())
				} else {
					src[i] = byte(i / 64)
				}
			}
			for _, level := range []int{1, 3, DefaultCompression, 19} {
				c := NewCtx()
				buf := make([]byte, CompressBound(size))
				out, err := c.CompressLevel(buf, src, level)
				if err != nil {
					t.Fatal(err)
				}
				if &out[0] != &buf[0] {
					t.Fatalf("size %d level %d: output not in the caller's buffer", size, level)
				}
				dst := make([]byte, size)
				n, err := c.DecompressInto(dst, out)
				if err != nil || n != size || !bytes.Equal(dst, src) {
					t.Fatalf("size %d level %d: round trip failed (%d bytes, %v)", size, level, n, err)
				}
				if size > 1 {
					if _, err := c.DecompressInto(make([]byte, size-1), out); err == nil {
						t.Fatalf("size %d: decompressed into a buffer too small", size)
					}
				}
				got, err := c.Decompress(nil, out)
				if err != nil || !bytes.Equal(got, src) {
					t.Fatalf("Decompress: %v", err)
				}
			}
		}
	}
}
