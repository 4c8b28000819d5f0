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

// ReadFrame reads one frame body into buf (grown as needed, up to max bytes)
// and returns it. The returned slice aliases buf.
func ReadFrame(r io.Reader, buf []byte, max int) ([]byte, error) {
	var hdr [frameHeaderBytes]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return buf, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if uint64(n) > uint64(max) {
		return buf, fmt.Errorf("%w: %d > %d bytes", ErrFrameTooLarge, n, max)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return buf, fmt.Errorf("wire: truncated frame: %w", err)
	}
	return buf, nil
}

// DecodeMessage decodes a replica-to-replica frame body. A message with no
// body set is an error: it carries nothing a replica could act on.
func DecodeMessage(b []byte) (*Message, error) {
	m := new(Message)
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
