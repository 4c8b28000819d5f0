package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"google.golang.org/protobuf/proto"
)

// seedMessages are valid replica messages of several kinds, the starting
// points the fuzzer mutates.
func seedMessages() []*Message {
	h := bytes.Repeat([]byte{7}, 32)
	qc := &QuorumCert{View: 3, BlockHash: h, Signers: []byte{0x0e}, Sigs: [][]byte{h, h, h}}
	cert := &TimestampCert{Replica: 1, Ts: 1_700_000_000_000_000, Root: h, LeafCount: 3, Index: 1, Path: [][]byte{h, h}, Sig: bytes.Repeat([]byte{9}, 64)}
	return []*Message{
		{Body: &Message_Proposal{Proposal: &Proposal{Block: &Block{View: 4, Height: 4, Parent: h, Justify: qc, Proposer: 1, PayloadDigest: h}, Payload: []byte("slot"), Sig: h}}},
		{Body: &Message_Vote{Vote: &Vote{View: 4, BlockHash: h, Voter: 2, Sig: h}}},
		{Body: &Message_Timeout{Timeout: &Timeout{View: 5, Voter: 3, Sig: h, HighQc: qc}}},
		{Body: &Message_Sync{Sync: &Sync{HighQc: qc, Tc: &TimeoutCert{View: 5, Signers: []byte{7}, Sigs: [][]byte{h}}}}},
		{Body: &Message_BlockRequest{BlockRequest: &BlockRequest{Hash: h, MaxAncestors: 16}}},
		{Body: &Message_Collect{Collect: &Collect{View: 6, Parent: h, Boundary: 1_700_000_000_000_000}}},
		{Body: &Message_CollectReply{CollectReply: &CollectReply{View: 6, Parent: h, Boundary: 9, Entries: []*SlotEntry{{Digest: h, Ts: 8}}, Replica: 2, Sig: h}}},
		{Body: &Message_SequencedResponse{SequencedResponse: &SequencedResponse{Batches: []*SequencedBatch{{Batch: []byte("b"), Ts: 8, Proof: &SequenceProof{Certs: []*TimestampCert{cert, cert, cert}}}}}}},
		{Body: &Message_Forward{Forward: &Submit{Batch: []byte("batch")}}},
	}
}

func seedClientMessages() []*ClientMessage {
	h := bytes.Repeat([]byte{5}, 32)
	cert := &TimestampCert{Replica: 0, Ts: 42, Root: h, LeafCount: 1, Sig: h}
	return []*ClientMessage{
		{Body: &ClientMessage_Submit{Submit: &Submit{Batch: []byte("batch")}}},
		{Body: &ClientMessage_TimestampReply{TimestampReply: &TimestampReply{Digest: h, Cert: cert}}},
		{Body: &ClientMessage_SequenceRequest{SequenceRequest: &SequenceRequest{Digest: h, Ts: 42, Proof: &SequenceProof{Certs: []*TimestampCert{cert}}, Batch: []byte("b")}}},
		{Body: &ClientMessage_SequenceReject{SequenceReject: &SequenceReject{Digest: h, LocalSyncTs: 41, Reason: "below"}}},
		{Body: &ClientMessage_Executed{Executed: &Executed{Digest: h, Height: 9, Position: 1, Ts: 42, Results: []*CommandResult{{Seq: 1, Result: []byte("ok")}, {Seq: 2, Duplicate: true}}}}},
	}
}

func seedBatch() *Batch {
	id := bytes.Repeat([]byte{3}, 16)
	return &Batch{Submitter: id, Attempt: 1, Nonce: 77, Commands: []*Command{{ClientId: id, Seq: 1, Payload: []byte("put k v")}, {ClientId: id, Seq: 2}}}
}

// roundTrip checks that a decoded message encodes and decodes back to
// itself: anything the decoder accepts, a replica can forward or store.
func roundTrip[M proto.Message](t *testing.T, m M, decode func([]byte) (M, error)) {
	t.Helper()
	again, err := decode(Marshal(m))
	if err != nil {
		t.Fatalf("re-encoded message does not decode: %v", err)
	}
	if !proto.Equal(m, again) {
		t.Fatalf("round trip changed the message:\n%v\n%v", m, again)
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, m := range seedMessages() {
		f.Add(Marshal(m))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			if m != nil {
				t.Fatal("error with a message")
			}
			return
		}
		if m.Body == nil {
			t.Fatal("accepted a message without body")
		}
		roundTrip(t, m, DecodeMessage)
	})
}

func FuzzDecodeClientMessage(f *testing.F) {
	for _, m := range seedClientMessages() {
		f.Add(Marshal(m))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeClientMessage(b)
		if err != nil {
			return
		}
		if m.Body == nil {
			t.Fatal("accepted a client message without body")
		}
		roundTrip(t, m, DecodeClientMessage)
	})
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add(Marshal(seedBatch()))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeBatch(b)
		if err != nil {
			return
		}
		roundTrip(t, m, DecodeBatch)
	})
}

// FuzzReadFrame reads a stream of frames with a fuzzed limit: no frame
// body may exceed the limit, no buffer may grow past it, and the frames
// read must be exactly the prefix of the stream they claim to be.
func FuzzReadFrame(f *testing.F) {
	one, _ := AppendFrame(nil, seedMessages()[1])
	two, _ := AppendFrame(one, seedClientMessages()[4])
	f.Add(two, uint16(1024))
	f.Add(one, uint16(4))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2}, uint16(64))
	f.Add([]byte{0, 0, 0, 8, 1, 2}, uint16(64))
	f.Fuzz(func(t *testing.T, stream []byte, limit uint16) {
		maxBytes := int(limit)
		r := bytes.NewReader(stream)
		var buf []byte
		consumed := 0
		for range len(stream) + 1 {
			body, err := ReadFrame(r, buf, maxBytes)
			if err != nil {
				switch {
				case errors.Is(err, io.EOF) && consumed == len(stream):
				case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, ErrFrameTooLarge):
				default:
					t.Fatalf("unexpected error after %d bytes: %v", consumed, err)
				}
				if cap(body) > max(cap(buf), maxBytes) {
					t.Fatalf("buffer grew to %d past the %d-byte limit", cap(body), maxBytes)
				}
				return
			}
			if len(body) > maxBytes || cap(body) > max(cap(buf), maxBytes) {
				t.Fatalf("frame of %d bytes (buffer %d) past the %d-byte limit", len(body), cap(body), maxBytes)
			}
			if !bytes.Equal(body, stream[consumed+frameHeaderBytes:consumed+frameHeaderBytes+len(body)]) {
				t.Fatal("frame body differs from the stream")
			}
			consumed += frameHeaderBytes + len(body)
			buf = body
		}
		t.Fatal("more frames than bytes")
	})
}

// TestAppendFrameReadsBack pins the framing the fuzz targets rely on.
func TestAppendFrameReadsBack(t *testing.T) {
	var stream []byte
	msgs := seedClientMessages()
	for _, m := range msgs {
		var err error
		if stream, err = AppendFrame(stream, m); err != nil {
			t.Fatal(err)
		}
	}
	r := bytes.NewReader(stream)
	for i, want := range msgs {
		body, err := ReadFrame(r, nil, DefaultMaxFrameBytes)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		got, err := DecodeClientMessage(body)
		if err != nil || !proto.Equal(got, want) {
			t.Fatalf("frame %d: %v %v", i, got, err)
		}
	}
	if _, err := ReadFrame(r, nil, DefaultMaxFrameBytes); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last frame: %v", err)
	}
}
