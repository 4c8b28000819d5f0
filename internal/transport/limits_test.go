package transport

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// dialFrom connects a fresh client key to replica 0's client port from
// localIP and checks that the replica serves it (a frame goes through) or
// closes it (refused after the handshake).
func dialFrom(t *testing.T, c *cluster, localIP string) (*tls.Conn, bool) {
	t.Helper()
	conn, err := DialRawClientFrom(testCtx(t), localIP, c.ts[0].ClientAddr().String(), newClientKey(t), c.committee.PublicKey(0))
	if err != nil {
		return nil, false // refused before or during the handshake
	}
	t.Cleanup(func() { conn.Close() })
	frame, _ := wire.AppendFrame(nil, timestampRequest("hello from "+localIP))
	if _, err := conn.Write(frame); err != nil {
		return conn, false
	}
	// Served: the frame arrives. Refused: the server closes the connection.
	served := make(chan bool, 1)
	cancel := make(chan struct{})
	go func() {
		select {
		case in := <-c.ts[0].ClientInbound():
			in.Release()
			served <- true
		case <-cancel:
			served <- false
		case <-time.After(waitTimeout):
			served <- false
		}
	}()
	closed := make(chan struct{})
	go func() {
		conn.SetReadDeadline(time.Now().Add(waitTimeout))
		var b [1]byte
		conn.Read(b[:])
		close(closed)
	}()
	select {
	case ok := <-served:
		return conn, ok
	case <-closed:
		// Keep the receiver from stealing a later frame.
		close(cancel)
		return conn, <-served
	}
}

func TestClientConnectionsCappedPerIPAndPrefix(t *testing.T) {
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) {
		cfg.MaxClientsPerIP = 3
		cfg.MaxClientsPerPrefix = 5
	})
	tr := c.ts[0]
	for i := range 3 {
		if _, ok := dialFrom(t, c, "127.0.1.1"); !ok {
			t.Fatalf("connection %d from one IP refused below the cap", i+1)
		}
	}
	if _, ok := dialFrom(t, c, "127.0.1.1"); ok {
		t.Fatal("a fourth connection from one IP was served, cap 3")
	}
	for i := range 2 {
		if _, ok := dialFrom(t, c, "127.0.1.2"); !ok {
			t.Fatalf("connection %d from a second IP of the prefix refused", i+1)
		}
	}
	if _, ok := dialFrom(t, c, "127.0.1.3"); ok {
		t.Fatal("a sixth connection from one /24 was served, cap 5")
	}
	if _, ok := dialFrom(t, c, "127.0.2.1"); !ok {
		t.Fatal("a connection from another /24 was refused")
	}
	s := tr.Stats()
	if s.RefusedBy["per_ip"] != 1 || s.RefusedBy["per_prefix"] != 1 {
		t.Fatalf("refusals not counted by reason: %v", s.RefusedBy)
	}
}

// A source at its cap is refused at accept, before the TLS handshake: a
// dial from it gets no handshake at all, so redialling costs the replica
// no key exchange or signature check.
func TestClientCapRefusedBeforeHandshake(t *testing.T) {
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) {
		cfg.MaxClientsPerIP = 2
		cfg.MaxClientsPerPrefix = 3
	})
	for i := range 2 {
		if _, ok := dialFrom(t, c, "127.0.1.1"); !ok {
			t.Fatalf("connection %d from one IP refused below the cap", i+1)
		}
	}
	if _, ok := dialFrom(t, c, "127.0.1.2"); !ok {
		t.Fatal("a connection from a second IP of the prefix refused below its cap")
	}
	for _, tc := range []struct{ ip, reason string }{
		{"127.0.1.1", "per_ip"},     // the IP is at its cap
		{"127.0.1.3", "per_prefix"}, // the /24 is at its cap
	} {
		conn, err := DialRawClientFrom(testCtx(t), tc.ip, c.ts[0].ClientAddr().String(), newClientKey(t), c.committee.PublicKey(0))
		if err == nil {
			conn.Close()
			t.Fatalf("%s: the handshake completed although the source is at its %s cap", tc.ip, tc.reason)
		}
	}
	s := c.ts[0].Stats()
	if s.RefusedBy["per_ip"] != 1 || s.RefusedBy["per_prefix"] != 1 {
		t.Fatalf("refusals not counted by reason: %v", s.RefusedBy)
	}
}

func TestSourcePrefixes(t *testing.T) {
	for _, tc := range []struct{ addr, ip, prefix string }{
		{"10.1.2.3:9", "10.1.2.3", "10.1.2.0/24"},
		{"[::ffff:10.1.2.3]:9", "10.1.2.3", "10.1.2.0/24"},
		{"[2001:db8:1:2:3:4:5:6]:9", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
	} {
		a, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		s := sourceOfAddr(a)
		if s.ip.String() != tc.ip || s.prefix.String() != tc.prefix {
			t.Errorf("%s: ip %s prefix %s, want %s %s", tc.addr, s.ip, s.prefix, tc.ip, tc.prefix)
		}
	}
}

func TestIdleClientIsClosed(t *testing.T) {
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) { cfg.ClientIdleTimeout = 200 * time.Millisecond })
	conn, ok := dialFrom(t, c, "127.0.1.1")
	if !ok {
		t.Fatal("client refused")
	}
	// Say nothing more; the replica hangs up on its own.
	expectClosedByServer(t, conn)
	eventually(t, "the idle close is counted", func() bool { return c.ts[0].Stats().ClosedBy["idle"] == 1 })
}

func TestSilentConnectionCutAtFirstByteDeadline(t *testing.T) {
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) {
		cfg.FirstByteTimeout = 100 * time.Millisecond
		cfg.HandshakeTimeout = time.Hour
	})
	for _, port := range []string{c.ts[0].ClientAddr().String(), c.ts[0].PeerAddr().String()} {
		raw, err := net.Dial("tcp", port)
		if err != nil {
			t.Fatal(err)
		}
		raw.SetReadDeadline(time.Now().Add(waitTimeout))
		var b [1]byte
		if _, err := raw.Read(b[:]); isTimeout(err) {
			t.Fatalf("%s: a silent connection was kept past the first-byte deadline", port)
		}
		raw.Close()
	}
	eventually(t, "both failures are counted", func() bool { return c.ts[0].Stats().HandshakeFailures == 2 })
}

// A connection that starts TLS and then stalls is cut at the handshake
// deadline, although it beat the first-byte one.
func TestStalledHandshakeCutAtHandshakeDeadline(t *testing.T) {
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) {
		cfg.FirstByteTimeout = time.Hour
		cfg.HandshakeTimeout = 200 * time.Millisecond
	})
	raw, err := net.Dial("tcp", c.ts[0].ClientAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.Write([]byte{0x16, 0x03}) // the start of a TLS record, then nothing
	raw.SetReadDeadline(time.Now().Add(waitTimeout))
	var b [1]byte
	if _, err := raw.Read(b[:]); isTimeout(err) {
		t.Fatal("a stalled handshake was never cut off")
	}
}

// Silent connections fill the peer listener's shared handshake budget; a
// replica at a genesis address still connects through its reserved pool,
// and the budget's per-IP, per-prefix and total bounds refuse the rest.
func TestReservedPeerSlotsSurviveHandshakeFlood(t *testing.T) {
	c := newCluster(t, 4, 1, func(_ int, cfg *Config) {
		cfg.FirstByteTimeout = time.Hour
		cfg.HandshakeTimeout = time.Hour
		cfg.MaxPendingHandshakes = 6
		cfg.MaxPendingPerIP = 2
		cfg.MaxPendingPerPrefix = 4
	})
	tr := c.ts[0]
	var conns []net.Conn
	defer func() {
		for _, conn := range conns {
			conn.Close()
		}
	}()
	// 127.0.5.1-3 share a prefix: 2 + 2 + refused. 127.0.6.x fill the
	// total: 2 more, then refused.
	for _, ip := range []string{"127.0.5.1", "127.0.5.1", "127.0.5.1", "127.0.5.2", "127.0.5.2", "127.0.5.3",
		"127.0.6.1", "127.0.6.1", "127.0.6.2"} {
		conn, err := DialTCPFrom(testCtx(t), ip, tr.PeerAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	eventually(t, "the flood's excess is refused", func() bool {
		r := tr.Stats().RefusedBy["handshake_budget"]
		return r == 3
	})
	// Replica 1 starts now and connects from its genesis IP.
	c.start(t, 1, nil)
	c.ts[1].Send(0, vote(1, 7))
	recvWhere(t, tr.Inbound(), func(in Inbound) bool { return in.From == 1 && viewOf(in.Msg) == 7 })
	if r := tr.Stats().RefusedBy["handshake_budget"]; r != 3 {
		t.Fatalf("%d connections refused, want the 3 of the flood", r)
	}
}

// A frame that announces more than it sends is cut at its deadline, and
// holds memory for what arrived, not for what it announced.
func TestStalledFrameCutAtDeadline(t *testing.T) {
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) { cfg.FrameTimeout = 100 * time.Millisecond })
	conn, ok := dialFrom(t, c, "127.0.1.1")
	if !ok {
		t.Fatal("client refused")
	}
	write := append(header(1000), make([]byte, 10)...)
	if _, err := conn.Write(write); err != nil {
		t.Fatal(err)
	}
	expectClosedByServer(t, conn)
	eventually(t, "the timeout is counted", func() bool { return c.ts[0].Stats().ClosedBy["frame_timeout"] == 1 })
}

func TestClientFrameLimitFitsTheLargestClientMessage(t *testing.T) {
	// A full batch with a proof for a committee of 100 (67 certificates,
	// paths for windows of a million requests).
	path := make([][]byte, 20)
	for i := range path {
		path[i] = make([]byte, 32)
	}
	var certs []*wire.TimestampCert
	for i := range 67 {
		certs = append(certs, &wire.TimestampCert{Replica: uint32(i), Ts: 1 << 60, Root: make([]byte, 32),
			LeafCount: 1 << 20, Index: 1 << 19, Path: path, Sig: make([]byte, 64)})
	}
	m := &wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: &wire.SequenceRequest{
		Digest: make([]byte, 32), Ts: 1 << 60, Proof: &wire.SequenceProof{Certs: certs},
		Batch: make([]byte, batch.DefaultLimits.MaxBytes)}}}
	size := len(wire.Marshal(m))
	if size > DefaultClientMaxFrameBytes {
		t.Fatalf("largest client message %d bytes, frame limit %d", size, DefaultClientMaxFrameBytes)
	}
	if DefaultClientMaxFrameBytes > batch.DefaultLimits.MaxBytes+512<<10 {
		t.Fatalf("client frame limit %d is far above the batch limit %d", DefaultClientMaxFrameBytes, batch.DefaultLimits.MaxBytes)
	}
}

func TestSlowClientIsDisconnected(t *testing.T) {
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) {
		cfg.ClientQueueFrames = 4
		cfg.ClientQueueBytes = 1 << 20
	})
	tr := c.ts[0]
	key := newClientKey(t)
	conn, err := DialRawClient(testCtx(t), tr.ClientAddr().String(), key, c.committee.PublicKey(0))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	frame, _ := wire.AppendFrame(nil, timestampRequest("x"))
	conn.Write(frame)
	recvClient(t, tr.ClientInbound()).Release()
	// The client never reads: the socket buffers fill, then the queue.
	big := &wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{Batch: make([]byte, 256<<10)}}}
	id := crypto.ClientIDOf(key.Public())
	eventually(t, "the replica gives up on the client", func() bool {
		tr.SendClient(id, big)
		return tr.Stats().ClosedBy["slow_client"] == 1
	})
	expectClosedByServer(t, conn)
	if tr.SendClient(id, big) {
		t.Fatal("a disconnected slow client still accepts messages")
	}
}

func TestBadProofsDisconnectAndSlowReconnection(t *testing.T) {
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) {
		cfg.BadProofLimit = 3
		cfg.BadProofWindow = time.Hour
	})
	tr := c.ts[0]
	conn, ok := dialFrom(t, c, "127.0.1.1")
	if !ok {
		t.Fatal("client refused")
	}
	frame, _ := wire.AppendFrame(nil, timestampRequest("bad proof"))
	for i := range 3 {
		if _, err := conn.Write(frame); err != nil {
			t.Fatal(err)
		}
		in := recvClient(t, tr.ClientInbound())
		in.Release()
		tr.ReportBadProof(in)
		if s := tr.Stats().ClosedBy["bad_proofs"]; (s == 1) != (i == 2) {
			t.Fatalf("after %d reports: %d disconnections", i+1, s)
		}
	}
	expectClosedByServer(t, conn)
	// Reconnecting from that IP is refused for a while; other IPs are not.
	if _, ok := dialFrom(t, c, "127.0.1.1"); ok {
		t.Fatal("the offender reconnected at once")
	}
	if tr.Stats().RefusedBy["penalty"] == 0 {
		t.Fatal("the refusal is not counted")
	}
	if _, ok := dialFrom(t, c, "127.0.1.2"); !ok {
		t.Fatal("another IP was refused")
	}
}

func TestPenaltyDoublesAndIsBounded(t *testing.T) {
	p := newPenaltyBox()
	ip := sourceOfAddr(&net.TCPAddr{IP: net.IPv4(10, 0, 0, 1)}).ip
	now := time.Unix(1_700_000_000, 0)
	want := minPenalty
	for range 10 {
		if d := p.punish(ip, now); d != want {
			t.Fatalf("penalty %v, want %v", d, want)
		}
		if !p.boxed(ip, now) || p.boxed(ip, now.Add(want)) {
			t.Fatalf("boxed state wrong for a %v penalty", want)
		}
		want = min(2*want, maxPenalty)
	}
	for i := range maxBoxed + 10 {
		p.punish(sourceOfAddr(&net.TCPAddr{IP: net.IPv4(11, byte(i>>16), byte(i>>8), byte(i))}).ip, now)
	}
	if len(p.entries) > maxBoxed {
		t.Fatalf("%d entries, bound %d", len(p.entries), maxBoxed)
	}
}

func TestInboundBudget(t *testing.T) {
	b := newInboundBudget[string](100, 40)
	stop := make(chan struct{})
	r1, _ := b.acquire("a", 30, stop)
	// a holds 30 of its 40: 20 more must wait.
	got := make(chan func(), 1)
	go func() {
		r, _ := b.acquire("a", 20, stop)
		got <- r
	}()
	// Others are not held back by a's share.
	rb, _ := b.acquire("b", 40, stop)
	rc, _ := b.acquire("c", 30, stop)
	if b.held() != 100 {
		t.Fatalf("held %d", b.held())
	}
	select {
	case <-got:
		t.Fatal("a exceeded its share")
	default:
	}
	r1()
	r2 := <-got
	if b.held() != 90 {
		t.Fatalf("held %d after a's swap", b.held())
	}
	r1() // twice is harmless
	if b.held() != 90 {
		t.Fatalf("a second release changed the total: %d", b.held())
	}
	r2()
	rb()
	rc()
	// A sender holding nothing gets one message through, whatever its size.
	big, ok := b.acquire("d", 500, stop)
	if !ok || b.held() != 500 {
		t.Fatal("an oversized message from an idle sender was refused")
	}
	go func() { close(stop) }()
	if _, ok := b.acquire("e", 1, stop); ok {
		t.Fatal("acquire over the total returned without a release")
	}
	big()
}

// Client messages hold the inbound budget until released: a client over
// its share waits, with its bytes bounded, and resumes on release.
func TestClientInboundShareHeldUntilRelease(t *testing.T) {
	const size = 10 << 10
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) { cfg.ClientInboundShare = 2*size + 1000 })
	tr := c.ts[0]
	cc := dialClient(t, c, 0, newClientKey(t))
	m := &wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{Batch: make([]byte, size)}}}
	for range 3 {
		if err := cc.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	first := recvClient(t, tr.ClientInbound())
	second := recvClient(t, tr.ClientInbound())
	held := tr.Stats().ClientInboundBytes
	if held < 2*size || held > 2*size+1000 {
		t.Fatalf("%d bytes held for two messages of %d", held, size)
	}
	select {
	case <-tr.ClientInbound():
		t.Fatal("a third message went past the sender's share")
	default:
	}
	first.Release()
	recvClient(t, tr.ClientInbound()).Release()
	second.Release()
	eventually(t, "everything is released", func() bool { return tr.Stats().ClientInboundBytes == 0 })
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Failed handshakes are counted every time but logged once per source
// prefix per interval.
func TestFailedHandshakesDoNotFloodTheLog(t *testing.T) {
	var out syncBuffer
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	const attempts = 40
	for i := range attempts {
		raw, err := DialTCPFrom(testCtx(t), fmt.Sprintf("127.0.7.%d", 1+i%4), c.ts[0].ClientAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		raw.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
		raw.SetReadDeadline(time.Now().Add(waitTimeout))
		var b [64]byte
		for {
			if _, err := raw.Read(b[:]); err != nil {
				break
			}
		}
		raw.Close()
	}
	eventually(t, "every failure is counted", func() bool { return c.ts[0].Stats().HandshakeFailures == attempts })
	if n := strings.Count(out.String(), "client handshake refused"); n != 1 {
		t.Fatalf("%d log lines for %d failed handshakes from one prefix, want 1:\n%s", n, attempts, out.String())
	}
}

// A source whose connections keep ending in protocol violations is
// refused for a while: it cannot make the replica run a handshake per
// violation.
func TestRepeatedMalformedFramesBoxTheSource(t *testing.T) {
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) {
		cfg.BadProofLimit = 3
		cfg.BadProofWindow = time.Hour
		cfg.ClientMaxFrameBytes = smallFrameBytes
	})
	tr := c.ts[0]
	for i := range 3 {
		conn, err := DialRawClientFrom(testCtx(t), "127.0.1.1", tr.ClientAddr().String(), newClientKey(t), c.committee.PublicKey(0))
		if err != nil {
			t.Fatalf("connection %d refused before the limit: %v", i+1, err)
		}
		conn.Write(header(smallFrameBytes + 1))
		expectClosedByServer(t, conn)
		conn.Close()
	}
	eventually(t, "the source is boxed", func() bool {
		_, ok := dialFrom(t, c, "127.0.1.1")
		return !ok && tr.Stats().RefusedBy["penalty"] > 0
	})
	if _, ok := dialFrom(t, c, "127.0.1.2"); !ok {
		t.Fatal("another IP was refused")
	}
}

// Frames being read reserve their length beyond 64 KiB from the sender
// prefix's read budget before their body is read: one prefix's stalled
// frames hold at most its share (or one frame), its further large frames
// wait, and other prefixes are not held back.
func TestStalledFramesHoldAtMostTheShare(t *testing.T) {
	const share = 200 << 10
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) { cfg.ClientInboundShare = share })
	tr := c.ts[0]
	// One whole frame larger than the share is read and delivered.
	big := &wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{Batch: make([]byte, 3*share)}}}
	cc := dialClient(t, c, 0, newClientKey(t))
	if err := cc.Send(big); err != nil {
		t.Fatal(err)
	}
	recvClient(t, tr.ClientInbound()).Release()

	// Stalled frames from one prefix: each announces 1 MiB, sends 150 KiB.
	var stalled []*tls.Conn
	for i := range 4 {
		conn, err := DialRawClientFrom(testCtx(t), fmt.Sprintf("127.0.1.%d", i+1), tr.ClientAddr().String(), newClientKey(t), c.committee.PublicKey(0))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		conn.Write(append(header(1<<20), make([]byte, 150<<10)...))
		stalled = append(stalled, conn)
	}
	eventually(t, "one stalled frame holds its reservation", func() bool { return tr.Stats().ClientFrameBytes > 0 })
	if held := tr.Stats().ClientFrameBytes; held > 1<<20 {
		t.Fatalf("%d bytes reserved by one prefix's stalled frames, want at most one frame (share %d)", held, share)
	}
	// Another prefix's large frame is not held back.
	other, err := DialRawClientFrom(testCtx(t), "127.0.2.1", tr.ClientAddr().String(), newClientKey(t), c.committee.PublicKey(0))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	frame, _ := wire.AppendFrame(nil, big)
	other.Write(frame)
	recvClient(t, tr.ClientInbound()).Release()
	// The stalled senders give up: everything they held is returned.
	for _, conn := range stalled {
		conn.Close()
	}
	eventually(t, "the reservations are returned", func() bool { return tr.Stats().ClientFrameBytes == 0 })
}

// All client queues share a byte bound: clients that do not read are
// disconnected as slow once it is reached, a client that reads is never
// refused, and the bytes of closed queues are returned.
func TestClientQueuesShareAByteBound(t *testing.T) {
	const bound = 1 << 20
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) {
		cfg.ClientSendBytes = bound
		cfg.ClientQueueBytes = 64 << 20
	})
	tr := c.ts[0]
	var stalled []crypto.ClientID
	for range 3 {
		key := newClientKey(t)
		conn, err := DialRawClient(testCtx(t), tr.ClientAddr().String(), key, c.committee.PublicKey(0))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		frame, _ := wire.AppendFrame(nil, timestampRequest("x"))
		conn.Write(frame)
		recvClient(t, tr.ClientInbound()).Release()
		stalled = append(stalled, crypto.ClientIDOf(key.Public()))
	}
	reader := newClientKey(t)
	cc := dialClient(t, c, 0, reader)
	cc.Send(timestampRequest("r"))
	recvClient(t, tr.ClientInbound()).Release()

	msg := &wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{Batch: make([]byte, 64<<10)}}}
	eventually(t, "the clients that do not read are disconnected", func() bool {
		for _, id := range stalled {
			tr.SendClient(id, msg)
		}
		if q := tr.Stats().ClientQueuedBytes; q > bound+(128<<10) {
			t.Fatalf("%d bytes queued to clients, bound %d", q, bound)
		}
		return tr.Stats().ClosedBy["slow_client"] == 3
	})
	// The reading client still gets what is sent to it.
	for range 20 {
		if !tr.SendClient(crypto.ClientIDOf(reader.Public()), msg) {
			t.Fatal("a client that reads was refused")
		}
		recvReply(t, cc)
	}
	eventually(t, "closed queues return their bytes", func() bool { return tr.Stats().ClientQueuedBytes == 0 })
}
