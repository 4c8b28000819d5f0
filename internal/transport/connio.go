package transport

import (
	"bufio"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/pompe-bft/pompe/internal/wire"
)

// Buffer sizes of one connection. Client connections are many and mostly
// idle, so theirs are small; one TLS record is 16 KiB.
const (
	peerBufferBytes   = 64 << 10
	clientBufferBytes = 16 << 10
	frameHeaderBytes  = 4
	// retainFrameBytes: a read buffer grown past this by one large frame is
	// released after it, so idle connections do not pin large buffers.
	retainFrameBytes = 1 << 20
)

// errStopped ends a writer whose connection is being shut down.
var errStopped = errors.New("transport: connection shut down")

// runWriter drains q into conn until stop closes or a write fails. It
// writes every ready frame into one buffer and flushes when nothing more is
// ready, so a burst of frames costs one write. blocked, when it reports
// true, discards ready frames instead (an emulated partition).
func runWriter(stop <-chan struct{}, q *sendQueue, conn net.Conn, writeTimeout time.Duration, bufferBytes int,
	blocked func() bool, c *linkCounters) error {
	bw := bufio.NewWriterSize(conn, bufferBytes)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var batch []queuedFrame
	for {
		select {
		case <-stop:
			return errStopped
		default:
		}
		var next time.Time
		batch, next = q.popReady(time.Now(), batch[:0])
		if len(batch) == 0 {
			if bw.Buffered() > 0 {
				if err := conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
					return err
				}
				if err := bw.Flush(); err != nil {
					return err
				}
			}
			var fire <-chan time.Time
			if !next.IsZero() {
				timer.Reset(time.Until(next))
				fire = timer.C
			}
			select {
			case <-stop:
				return errStopped
			case <-q.wake:
			case <-fire:
			}
			timer.Stop()
			continue
		}
		if blocked != nil && blocked() {
			c.droppedEmulated.Add(uint64(len(batch)))
			clear(batch)
			continue
		}
		if err := conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
			return err
		}
		for i := range batch {
			if _, err := bw.Write(batch[i].frame); err != nil {
				return err
			}
			c.framesSent.Add(1)
			c.bytesSent.Add(uint64(len(batch[i].frame)))
		}
		clear(batch)
	}
}

// readFrames reads frames from r and hands each body to handle until an
// error. The body is only valid during the call.
func readFrames(r io.Reader, maxBytes, bufferBytes int, c *linkCounters, handle func(body []byte) error) error {
	br := bufio.NewReaderSize(r, bufferBytes)
	var buf []byte
	for {
		body, err := wire.ReadFrame(br, buf, maxBytes)
		if err != nil {
			return err
		}
		c.framesReceived.Add(1)
		c.bytesReceived.Add(uint64(len(body)) + frameHeaderBytes)
		if err := handle(body); err != nil {
			return err
		}
		if cap(body) > retainFrameBytes {
			buf = nil
		} else {
			buf = body[:0]
		}
	}
}

// firstError keeps the first reason a connection ended for; later ones are
// consequences (the other goroutine seeing the closed socket).
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}
