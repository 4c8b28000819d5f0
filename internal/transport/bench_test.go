package transport

import (
	"bufio"
	"net"
	"testing"

	"github.com/pompe-bft/pompe/internal/wire"
)

func benchMessage() *wire.Message {
	m := vote(1, 12345)
	m.GetVote().BlockHash = make([]byte, 32)
	m.GetVote().Sig = make([]byte, 64)
	return m
}

// BenchmarkFrameOverTCP encodes, writes, reads and decodes frames through a
// loopback TCP pair: the cost of framing without TLS or queues.
func BenchmarkFrameOverTCP(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	w, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	r := <-accepted
	if r == nil {
		b.Fatal("accept failed")
	}
	defer r.Close()

	m := benchMessage()
	done := make(chan error, 1)
	go func() {
		br := bufio.NewReader(r)
		var buf []byte
		for range b.N {
			body, err := wire.ReadFrame(br, buf, wire.DefaultMaxFrameBytes)
			if err != nil {
				done <- err
				return
			}
			if _, err := wire.DecodeMessage(body); err != nil {
				done <- err
				return
			}
			buf = body
		}
		done <- nil
	}()
	bw := bufio.NewWriter(w)
	var frame []byte
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		frame, _ = wire.AppendFrame(frame[:0], m)
		bw.Write(frame)
	}
	bw.Flush()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
}

// BenchmarkTransportSend measures replica-to-replica delivery through two
// transports: encoding, queueing, coalesced TLS writes, reading, decoding.
func BenchmarkTransportSend(b *testing.B) {
	const window = 1024
	c := newCluster(b, 4, 2, nil)
	m := benchMessage()
	in := c.ts[1].Inbound()
	b.ReportAllocs()
	b.ResetTimer()
	for sent := 0; sent < b.N; {
		n := min(window, b.N-sent)
		for range n {
			c.ts[0].Send(1, m)
		}
		for range n {
			<-in
		}
		sent += n
	}
}
