// Package zstd stands in for github.com/DataDog/zstd, a cgo binding of the
// C zstd library, with the pure-Go github.com/klauspost/compress/zstd, for
// the part of its API that pebble uses (CompressBound, NewCtx and Ctx).
//
// Why: pebble imports github.com/DataDog/zstd whenever cgo is on, and
// compiling its C sources took about a third of a cold build of pompe
// (79 of 237 CPU seconds), although pompe's stores never ask pebble for
// zstd. pebble's own pure-Go path (its pebblegozstd build tag, or
// CGO_ENABLED=0, which the container image uses) is the same
// klauspost/compress encoder, but `go run ./cmd/pompe` cannot set a tag;
// go.mod's replace directive points pebble here instead. The output is
// standard zstd frames, readable by either implementation.
package zstd

import (
	"errors"

	kz "github.com/klauspost/compress/zstd"
)

// DefaultCompression is the level Compress uses (the C library's default).
const DefaultCompression = 5

// ErrDstTooSmall: DecompressInto's destination cannot hold the output.
var ErrDstTooSmall = errors.New("zstd: destination buffer too small")

// CompressBound is the largest compressed size of srcSize bytes, the
// formula of the C library's ZSTD_compressBound.
func CompressBound(srcSize int) int {
	lowLimit := 128 << 10
	var margin int
	if srcSize < lowLimit {
		margin = (lowLimit - srcSize) >> 11
	}
	return srcSize + (srcSize >> 8) + margin
}

// Ctx compresses and decompresses, reusing its state between calls. A Ctx
// is not safe for concurrent use (pebble pools them).
type Ctx interface {
	// Compress src into dst (reused when its capacity suffices).
	Compress(dst, src []byte) ([]byte, error)
	// CompressLevel is Compress at a zstd level (1 to 22).
	CompressLevel(dst, src []byte, level int) ([]byte, error)
	// Decompress src into dst (reused when its capacity suffices).
	Decompress(dst, src []byte) ([]byte, error)
	// DecompressInto decompresses src into dst, which must be large
	// enough, and returns the bytes written.
	DecompressInto(dst, src []byte) (int, error)
}

type ctx struct {
	enc map[kz.EncoderLevel]*kz.Encoder
	dec *kz.Decoder
}

// NewCtx returns a Ctx.
func NewCtx() Ctx { return &ctx{enc: make(map[kz.EncoderLevel]*kz.Encoder, 1)} }

func (c *ctx) Compress(dst, src []byte) ([]byte, error) {
	return c.CompressLevel(dst, src, DefaultCompression)
}

func (c *ctx) CompressLevel(dst, src []byte, level int) ([]byte, error) {
	l := kz.EncoderLevelFromZstd(level)
	e := c.enc[l]
	if e == nil {
		var err error
		e, err = kz.NewWriter(nil, kz.WithEncoderLevel(l), kz.WithEncoderConcurrency(1), kz.WithEncoderCRC(false))
		if err != nil {
			return nil, err
		}
		c.enc[l] = e
	}
	// Like the C binding: the output goes into dst's backing array when
	// it has room for CompressBound(len(src)) bytes.
	return e.EncodeAll(src, dst[:0]), nil
}

func (c *ctx) decoder() (*kz.Decoder, error) {
	if c.dec == nil {
		d, err := kz.NewReader(nil, kz.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		c.dec = d
	}
	return c.dec, nil
}

func (c *ctx) Decompress(dst, src []byte) ([]byte, error) {
	d, err := c.decoder()
	if err != nil {
		return nil, err
	}
	return d.DecodeAll(src, dst[:0])
}

func (c *ctx) DecompressInto(dst, src []byte) (int, error) {
	d, err := c.decoder()
	if err != nil {
		return 0, err
	}
	out, err := d.DecodeAll(src, dst[:0:len(dst)])
	if err != nil {
		return 0, err
	}
	if len(out) > len(dst) {
		return 0, ErrDstTooSmall
	}
	if len(out) > 0 && &out[0] != &dst[0] {
		copy(dst, out)
	}
	return len(out), nil
}
