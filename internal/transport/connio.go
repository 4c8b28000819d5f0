package transport

import (
	"bufio"
	"errors"
	"fmt"
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

// Errors that end a connection because a deadline passed.
var (
	errIdle         = errors.New("transport: no frame within the idle timeout")
	errFrameTimeout = errors.New("transport: frame not finished within its deadline")
)

// readDeadlines bounds how long a reader waits. idle (0: forever) is the
// wait for the next frame to start; frame plus the frame's length at
// frameMinBytesPerSecond is the time a started frame has to arrive.
type readDeadlines struct {
	conn  net.Conn // nil: no deadlines (tests, client side)
	idle  time.Duration
	frame time.Duration
	// reserve, when set, takes a frame's share of the read budget before
	// its body is read (frameReservation), waiting if need be; false ends
	// the reader (shutting down).
	reserve func(n int) (release func(), ok bool)
}

func (d readDeadlines) beforeFrame() error {
	if d.conn == nil {
		return nil
	}
	var at time.Time
	if d.idle > 0 {
		at = time.Now().Add(d.idle)
	}
	return d.conn.SetReadDeadline(at)
}

func (d readDeadlines) afterHeader(n int) error {
	if d.conn == nil || d.frame <= 0 {
		return nil
	}
	budget := d.frame + time.Duration(n)*time.Second/frameMinBytesPerSecond
	return d.conn.SetReadDeadline(time.Now().Add(budget))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readFrames reads frames from r and hands each body to handle until an
// error. The body is only valid during the call. The body buffer grows as
// bytes arrive (wire.ReadFrameBody), never to an announced length up front.
func readFrames(r io.Reader, maxBytes, bufferBytes int, d readDeadlines, c *linkCounters, handle func(body []byte) error) error {
	br := bufio.NewReaderSize(r, bufferBytes)
	var buf []byte
	for {
		if err := d.beforeFrame(); err != nil {
			return err
		}
		n, err := wire.ReadFrameLength(br, maxBytes)
		if err != nil {
			if isTimeout(err) {
				return fmt.Errorf("%w (%v)", errIdle, d.idle)
			}
			return err
		}
		release := func() {}
		if d.reserve != nil {
			var ok bool
			if release, ok = d.reserve(n); !ok {
				return errStopped
			}
		}
		// The deadline starts once the budget is granted: waiting for it
		// is the replica's doing, not the sender's.
		if err := d.afterHeader(n); err != nil {
			release()
			return err
		}
		body, err := wire.ReadFrameBody(br, buf, n)
		release()
		if err != nil {
			if isTimeout(err) {
				return fmt.Errorf("%w: %d of %d bytes arrived", errFrameTimeout, len(body), n)
			}
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
