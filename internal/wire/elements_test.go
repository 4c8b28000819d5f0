package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// repeatedEmpty encodes count empty occurrences of field num.
func repeatedEmpty(num protowire.Number, count int) []byte {
	var b []byte
	for range count {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendVarint(b, 0)
	}
	return b
}

// nested wraps inner as field num of a message.
func nested(num protowire.Number, inner []byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, inner)
}

func TestElementLimitsRefuseFloodsBeforeDecoding(t *testing.T) {
	// ClientMessage.sequence_request (field numbers from pompe.proto) ->
	// SequenceRequest.proof -> SequenceProof.certs, repeated empty.
	certs := func(n int) []byte {
		proof := repeatedEmpty(1, n)                // SequenceProof.certs
		req := nested(3, proof)                     // SequenceRequest.proof
		return nested(sequenceRequestField(t), req) // ClientMessage.sequence_request
	}
	tests := []struct {
		name   string
		decode func([]byte) error
		body   []byte
		refuse bool
	}{
		{"client certs at the bound", clientDecoder, certs(MaxClientMessageElements - 3), false},
		{"client certs beyond the bound", clientDecoder, certs(MaxClientMessageElements + 1), true},
		{"client million empty certs", clientDecoder, certs(1 << 20), true},
		{"batch commands beyond the bound", batchDecoder, repeatedEmpty(4, MaxBatchElements+1), true},
		{"batch of many small commands", batchDecoder, repeatedEmpty(4, 10_000), false},
		{"replica digests beyond the bound", messageDecoder, nested(batchRequestField(t), repeatedEmpty(1, MaxMessageElements+1)), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.decode(tc.body)
			if tc.refuse != errors.Is(err, ErrTooManyElements) {
				t.Fatalf("refused=%v, want %v (err %v)", errors.Is(err, ErrTooManyElements), tc.refuse, err)
			}
		})
	}
}

func clientDecoder(b []byte) error  { _, err := DecodeClientMessage(b); return err }
func batchDecoder(b []byte) error   { _, err := DecodeBatch(b); return err }
func messageDecoder(b []byte) error { _, err := DecodeMessage(b); return err }

func sequenceRequestField(t *testing.T) protowire.Number {
	t.Helper()
	fd := (&ClientMessage{}).ProtoReflect().Descriptor().Fields().ByName("sequence_request")
	if fd == nil {
		t.Fatal("no sequence_request field")
	}
	return fd.Number()
}

func batchRequestField(t *testing.T) protowire.Number {
	t.Helper()
	fd := (&Message{}).ProtoReflect().Descriptor().Fields().ByName("batch_request")
	if fd == nil {
		t.Fatal("no batch_request field")
	}
	return fd.Number()
}

func TestElementLimitsAcceptEverySeed(t *testing.T) {
	for _, m := range seedMessages() {
		if _, err := DecodeMessage(Marshal(m)); err != nil {
			t.Errorf("%v: %v", m, err)
		}
	}
	for _, m := range seedClientMessages() {
		if _, err := DecodeClientMessage(Marshal(m)); err != nil {
			t.Errorf("%v: %v", m, err)
		}
	}
	if _, err := DecodeBatch(Marshal(seedBatch())); err != nil {
		t.Error(err)
	}
}

// trickle delivers at most step bytes per Read, then io.EOF after total.
type trickle struct {
	left, step int
}

func (r *trickle) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.step, r.left)
	r.left -= n
	return n, nil
}

func TestReadFrameGrowsWithArrivingBytes(t *testing.T) {
	const announced = 8 << 20
	for _, sent := range []int{0, 1, frameGrowStart, 3 * frameGrowStart, 1 << 20} {
		hdr := binary.BigEndian.AppendUint32(nil, announced)
		r := io.MultiReader(bytes.NewReader(hdr), &trickle{left: sent, step: 4096})
		buf, err := ReadFrame(r, nil, announced)
		if err == nil {
			t.Fatalf("sent %d: a truncated frame was accepted", sent)
		}
		if limit := max(frameGrowStart, 2*sent); cap(buf) > limit {
			t.Errorf("sent %d of %d announced bytes: buffer of %d bytes, want at most %d", sent, announced, cap(buf), limit)
		}
	}
	// A complete frame arrives whole, in small reads.
	body := bytes.Repeat([]byte{0xab}, 5*frameGrowStart+17)
	framed := append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
	got, err := ReadFrame(&chunked{b: framed, step: 1000}, nil, len(body))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("frame read in pieces: err %v, equal %v", err, bytes.Equal(got, body))
	}
}

type chunked struct {
	b    []byte
	step int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.step)], c.b)
	c.b = c.b[n:]
	return n, nil
}
