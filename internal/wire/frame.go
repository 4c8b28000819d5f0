package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/proto"
)

// DefaultMaxFrameBytes bounds one frame unless configured otherwise. It must
// hold the largest legitimate message: a proposal or block response full of
// slot entries and proofs.
const DefaultMaxFrameBytes = 64 << 20

// frameHeaderBytes is the size of the length prefix.
const frameHeaderBytes = 4

// ErrFrameTooLarge is returned for a frame whose announced length exceeds
// the reader's limit.
var ErrFrameTooLarge = errors.New("wire: frame exceeds size limit")

// AppendFrame appends the framed encoding of m to dst.
func AppendFrame(dst []byte, m proto.Message) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst, err := proto.MarshalOptions{}.MarshalAppend(dst, m)
	if err != nil {
		return dst[:start], fmt.Errorf("wire: encode: %w", err)
	}
	n := len(dst) - start - frameHeaderBytes
	if uint64(n) > 1<<32-1 {
		return dst[:start], ErrFrameTooLarge
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(n))
	return dst, nil
}

// frameGrowStart is the first allocation for a frame body too large for the
// caller's buffer. The buffer then doubles as bytes arrive, so a peer that
// announces a large frame and stalls holds at most twice what it sent, never
// the announced length.
const frameGrowStart = 64 << 10

// ReadFrame reads one frame body into buf (grown as bytes arrive, up to max
// bytes) and returns it. The returned slice aliases buf.
func ReadFrame(r io.Reader, buf []byte, max int) ([]byte, error) {
	n, err := ReadFrameLength(r, max)
	if err != nil {
		return buf, err
	}
	return ReadFrameBody(r, buf, n)
}

// ReadFrameLength reads a frame's length prefix and checks it against max.
func ReadFrameLength(r io.Reader, max int) (int, error) {
	var hdr [frameHeaderBytes]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if uint64(n) > uint64(max) {
		return 0, fmt.Errorf("%w: %d > %d bytes", ErrFrameTooLarge, n, max)
	}
	return int(n), nil
}

// ReadFrameBody reads the n body bytes of a frame whose length prefix was
// read. It reuses buf when large enough; otherwise it allocates
// frameGrowStart bytes and doubles only as data actually arrives.
func ReadFrameBody(r io.Reader, buf []byte, n int) ([]byte, error) {
	if cap(buf) >= n {
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return buf, truncated(err)
		}
		return buf, nil
	}
	buf = make([]byte, 0, min(n, frameGrowStart))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		got, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+got]
		if err != nil && len(buf) < n {
			return buf, truncated(err)
		}
	}
	return buf, nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("wire: truncated frame: %w", err)
}

// DecodeMessage decodes a replica-to-replica frame body. A message with no
// body set is an error: it carries nothing a replica could act on.
func DecodeMessage(b []byte) (*Message, error) {
	m := new(Message)
	if err := CheckElements(b, m.ProtoReflect().Descriptor(), MaxMessageElements); err != nil {
		return nil, err
	}
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("wire: decode message: %w", err)
	}
	if m.Body == nil {
		return nil, errors.New("wire: message has no body")
	}
	return m, nil
}

// DecodeClientMessage decodes a client-replica frame body.
func DecodeClientMessage(b []byte) (*ClientMessage, error) {
	m := new(ClientMessage)
	if err := CheckElements(b, m.ProtoReflect().Descriptor(), MaxClientMessageElements); err != nil {
		return nil, err
	}
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("wire: decode client message: %w", err)
	}
	if m.Body == nil {
		return nil, errors.New("wire: client message has no body")
	}
	return m, nil
}

// DecodeBatch decodes a serialized batch.
func DecodeBatch(b []byte) (*Batch, error) {
	m := new(Batch)
	if err := CheckElements(b, m.ProtoReflect().Descriptor(), MaxBatchElements); err != nil {
		return nil, err
	}
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("wire: decode batch: %w", err)
	}
	return m, nil
}

// Marshal encodes m deterministically.
func Marshal(m proto.Message) []byte {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		// Only messages with invalid UTF-8 in string fields fail to encode;
		// pompe builds those strings itself.
		panic(fmt.Sprintf("wire: marshal %T: %v", m, err))
	}
	return b
}
