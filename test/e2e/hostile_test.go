//go:build linux

package e2e

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"net"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/internal/wire"
	"github.com/pompe-bft/pompe/pkg/app/kvstore"
)

// target is the replica the hostile connections go to.
const target = 0

// impersonated is the replica whose key the test borrows for peer
// connections, once the replica itself is stopped.
const impersonated = 3

// clientMaxFrameBytes is the replicas' limit on frames from clients
// (transport.DefaultClientMaxFrameBytes: the node does not change it).
const clientMaxFrameBytes = transport.DefaultClientMaxFrameBytes

// TestHostileInput sends malformed, forged and misdirected input to a live
// replica over its client and peer ports. After each, every running
// replica is alive and the cluster executes new commands; where the
// protocol answers, the sender got a rejection.
func TestHostileInput(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) { hostileInput(t, mode) })
	}
}

func hostileInput(t *testing.T, mode config.Mode) {
	// Every hostile input here comes from this host's address; each is
	// checked on its own, so the replica must not refuse the address after
	// a few offences (test/attack and internal/transport test that).
	c := newCluster(t, mode, func(cfg *config.Config) { cfg.P2P.BadProofLimit = 1 << 20 })
	c.startAll()
	execute(t, c, 2)

	after := func(t *testing.T) {
		t.Helper()
		c.requireRunningAlive()
		execute(t, c, 2)
	}
	run := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			f(t)
			after(t)
		})
	}

	// The client port.
	run("oversized frame", func(t *testing.T) {
		conn := c.dialClient(t, newKey(t))
		write(t, conn, frameHeader(clientMaxFrameBytes+1))
		expectClosedByServer(t, conn)
	})
	run("frame announcing 4 GiB", func(t *testing.T) {
		conn := c.dialClient(t, newKey(t))
		write(t, conn, frameHeader(math.MaxUint32))
		expectClosedByServer(t, conn)
	})
	run("truncated frame", func(t *testing.T) {
		conn := c.dialClient(t, newKey(t))
		write(t, conn, append(frameHeader(100), make([]byte, 10)...))
		conn.CloseWrite()
		expectClosedByServer(t, conn)
	})
	run("random garbage", func(t *testing.T) {
		conn := c.dialClient(t, newKey(t))
		// The replica may hang up after the first bytes, failing the write.
		conn.Write(randomBytes(t, 4096))
		conn.CloseWrite()
		expectClosedByServer(t, conn)
	})
	run("garbage in a well-framed body", func(t *testing.T) {
		conn := c.dialClient(t, newKey(t))
		body := append([]byte{0xff, 0xff, 0xff, 0xff}, randomBytes(t, 60)...)
		write(t, conn, append(frameHeader(uint32(len(body))), body...))
		expectClosedByServer(t, conn)
	})
	run("empty client message", func(t *testing.T) {
		conn := c.dialClient(t, newKey(t))
		write(t, conn, frameHeader(0))
		expectClosedByServer(t, conn)
	})
	run("valid protobuf of the wrong kind", func(t *testing.T) {
		// A replica message, a bare batch and a reply only replicas send,
		// each on a client connection. None may take effect; the
		// connection may be dropped or kept.
		vote := &wire.Message{Body: &wire.Message_Vote{Vote: &wire.Vote{View: 1, BlockHash: randomBytes(t, 32), Voter: 1, Sig: randomBytes(t, 64)}}}
		key := newKey(t)
		bt := &wire.Batch{Submitter: clientID(key), Nonce: 1, Commands: []*wire.Command{command(key, 1)}}
		reply := &wire.ClientMessage{Body: &wire.ClientMessage_Executed{Executed: &wire.Executed{Digest: randomBytes(t, 32), Height: 1}}}
		for _, m := range []proto.Message{vote, bt, reply} {
			conn := c.dialClient(t, key)
			write(t, conn, frame(t, m))
			conn.CloseWrite()
			drainUntilClosed(t, conn)
		}
	})
	run("batch with another client's commands", func(t *testing.T) {
		mine, other := newKey(t), newKey(t)
		conn := c.dialClient(t, mine)
		cases := []*wire.Batch{
			{Submitter: clientID(mine), Nonce: 1, Commands: []*wire.Command{command(mine, 1), command(other, 1)}},
			{Submitter: clientID(other), Nonce: 2, Commands: []*wire.Command{command(other, 2)}},
		}
		for _, bt := range cases {
			raw := wire.Marshal(bt)
			write(t, conn, frame(t, c.submission(raw)))
			r := recvClient(t, conn, func(m *wire.ClientMessage) bool { return m.GetRejected() != nil })
			d := batch.DigestOf(raw)
			if string(r.GetRejected().Digest) != string(d[:]) {
				t.Errorf("rejection names digest %x, want %x", r.GetRejected().Digest, d)
			}
			t.Logf("rejected: %s", r.GetRejected().Reason)
		}
	})
	run("malformed batch", func(t *testing.T) {
		conn := c.dialClient(t, newKey(t))
		write(t, conn, frame(t, c.submission(randomBytes(t, 200))))
		recvClient(t, conn, func(m *wire.ClientMessage) bool { return m.GetRejected() != nil })
	})
	if mode == config.ModePompe {
		run("sequence request with forged proofs", func(t *testing.T) { c.forgedProofs(t) })
	}

	// The peer port.
	run("peer key not in genesis", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		conn, err := transport.DialRawPeer(ctx, c.peerAddr(target), newKey(t), c.replicaKey(t, target))
		if err != nil {
			t.Logf("refused during the handshake: %v", err)
			return
		}
		defer conn.Close()
		// In TLS 1.3 the server's refusal of a client certificate arrives
		// after the client considers the handshake done.
		conn.Write(frame(t, &wire.Message{Body: &wire.Message_Vote{Vote: &wire.Vote{View: 1, Voter: 1}}}))
		expectClosedByServer(t, conn)
	})
	run("client on the peer port", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		conn, err := transport.DialRawClient(ctx, c.peerAddr(target), newKey(t), c.replicaKey(t, target))
		if err == nil {
			defer conn.Close()
			conn.Write(frame(t, c.submission(randomBytes(t, 10))))
			expectClosedByServer(t, conn)
		}
	})

	// Replica 3's genuine key, with replica 3 stopped so that the identity
	// is free: the cluster runs on its other three replicas meanwhile.
	if err := c.stop(impersonated); err != nil {
		t.Fatal(err)
	}
	key3 := c.replicaPrivateKey(t, impersonated)
	signer3 := crypto.NewSigner(key3, []byte(c.info.Genesis.ClusterID))
	run("vote with a bad signature from a genuine replica key", func(t *testing.T) {
		v, err := c.view(target)
		if err != nil {
			t.Fatal(err)
		}
		before := c.refusedInputs(t, "replica")
		conn := c.dialPeer(t, key3)
		for _, view := range []uint64{v, v + 1} {
			vote := &wire.Vote{View: view, BlockHash: randomBytes(t, 32), Voter: impersonated, Sig: randomBytes(t, 64)}
			write(t, conn, frame(t, &wire.Message{Body: &wire.Message_Vote{Vote: vote}}))
			// The same vote claiming another replica's seat.
			other := proto.Clone(vote).(*wire.Vote)
			other.Voter = 1
			write(t, conn, frame(t, &wire.Message{Body: &wire.Message_Vote{Vote: other}}))
		}
		c.expectRefused(t, "replica", before)
	})
	run("correctly signed messages for the last view there is", func(t *testing.T) {
		conn := c.dialPeer(t, key3)
		hash := randomBytes(t, 32)
		vote := &wire.Vote{View: math.MaxUint64, BlockHash: hash, Voter: impersonated,
			Sig: signer3.Sign(crypto.DomainVote, crypto.U64(math.MaxUint64), hash)}
		timeout := &wire.Timeout{View: math.MaxUint64, Voter: impersonated,
			Sig: signer3.Sign(crypto.DomainTimeout, crypto.U64(math.MaxUint64))}
		write(t, conn, frame(t, &wire.Message{Body: &wire.Message_Vote{Vote: vote}}))
		write(t, conn, frame(t, &wire.Message{Body: &wire.Message_Timeout{Timeout: timeout}}))
	})
	run("forged proposal, timeout and certificates", func(t *testing.T) {
		v, err := c.view(target)
		if err != nil {
			t.Fatal(err)
		}
		before := c.refusedInputs(t, "replica")
		conn := c.dialPeer(t, key3)
		qc := &wire.QuorumCert{View: v, BlockHash: randomBytes(t, 32), Signers: []byte{0x0f}, Sigs: [][]byte{randomBytes(t, 64), randomBytes(t, 64), randomBytes(t, 64)}}
		msgs := []*wire.Message{
			{Body: &wire.Message_Proposal{Proposal: &wire.Proposal{
				Block:   &wire.Block{View: v + 1, Height: 1 << 40, Parent: randomBytes(t, 32), Justify: qc, Proposer: impersonated, PayloadDigest: randomBytes(t, 32)},
				Payload: randomBytes(t, 100), Sig: randomBytes(t, 64)}}},
			{Body: &wire.Message_Timeout{Timeout: &wire.Timeout{View: v, Voter: impersonated, Sig: randomBytes(t, 64), HighQc: qc}}},
			{Body: &wire.Message_Sync{Sync: &wire.Sync{HighQc: qc, Tc: &wire.TimeoutCert{View: v + 100, Signers: []byte{0xff, 0xff}, Sigs: [][]byte{randomBytes(t, 64)}}}}},
			{Body: &wire.Message_BlockRequest{BlockRequest: &wire.BlockRequest{Hash: randomBytes(t, 32), MaxAncestors: math.MaxUint32}}},
			{Body: &wire.Message_BlockResponse{BlockResponse: &wire.BlockResponse{Blocks: []*wire.BlockWithPayload{{Block: &wire.Block{View: 3}, Payload: randomBytes(t, 10)}}}}},
			{Body: &wire.Message_BatchResponse{BatchResponse: &wire.BatchResponse{Batches: [][]byte{randomBytes(t, 100)}}}},
			{Body: &wire.Message_Collect{Collect: &wire.Collect{View: v, Parent: randomBytes(t, 32), Boundary: math.MaxInt64}}},
			{Body: &wire.Message_CollectReply{CollectReply: &wire.CollectReply{View: v, Replica: impersonated, Entries: []*wire.SlotEntry{{Digest: randomBytes(t, 32), Ts: -1}}, Sig: randomBytes(t, 64)}}},
			{Body: &wire.Message_SequencedResponse{SequencedResponse: &wire.SequencedResponse{Batches: []*wire.SequencedBatch{{Batch: randomBytes(t, 50), Ts: 1, Proof: &wire.SequenceProof{}}}}}},
			{Body: &wire.Message_Forward{Forward: &wire.Submit{Batch: randomBytes(t, 50)}}},
		}
		for _, m := range msgs {
			write(t, conn, frame(t, m))
		}
		c.expectRefused(t, "replica", before)
	})
	run("client message on a peer connection", func(t *testing.T) {
		conn := c.dialPeer(t, key3)
		key := newKey(t)
		raw := wire.Marshal(&wire.Batch{Submitter: clientID(key), Nonce: 1, Commands: []*wire.Command{command(key, 1)}})
		write(t, conn, frame(t, c.submission(raw)))
		conn.CloseWrite()
		drainUntilClosed(t, conn)
	})
	run("oversized frame on a peer connection", func(t *testing.T) {
		conn := c.dialPeer(t, key3)
		write(t, conn, frameHeader(wire.DefaultMaxFrameBytes+1))
		expectClosedByServer(t, conn)
	})
	run("garbage on a peer connection", func(t *testing.T) {
		conn := c.dialPeer(t, key3)
		conn.Write(randomBytes(t, 4096))
		conn.CloseWrite()
		expectClosedByServer(t, conn)
	})

	// Replica 3 comes back and the whole cluster agrees on what ran; no
	// hostile command executed (each would lack a client record).
	c.start(impersonated)
	execute(t, c, 5)
	c.waitCaughtUp()
	c.stopAll()
	c.requireCleanLogs()
	c.checkRun()
}

// forgedProofs sends sequence requests whose proofs do not prove the
// timestamp they claim: each must be refused with a SequenceReject.
func (c *cluster) forgedProofs(t *testing.T) {
	key := newKey(t)
	conn := c.dialClient(t, key)
	raw := wire.Marshal(&wire.Batch{Submitter: clientID(key), Nonce: 7, Commands: []*wire.Command{command(key, 1)}})
	d := batch.DigestOf(raw)

	// A genuine timestamp from the target, to forge with.
	write(t, conn, frame(t, &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: raw}}}))
	reply := recvClient(t, conn, func(m *wire.ClientMessage) bool { return m.GetTimestampReply() != nil }).GetTimestampReply()
	cert := reply.Cert
	garbage := func(r uint32) *wire.TimestampCert {
		return &wire.TimestampCert{Replica: r, Ts: cert.Ts, Root: randomBytes(t, 32), LeafCount: 1, Sig: randomBytes(t, 64)}
	}
	shifted := proto.Clone(cert).(*wire.TimestampCert)
	shifted.Ts++
	renamed := proto.Clone(cert).(*wire.TimestampCert)
	renamed.Replica = 1
	proofs := []struct {
		name  string
		ts    int64
		certs []*wire.TimestampCert
	}{
		{"no certificates", cert.Ts, nil},
		{"random signatures", cert.Ts, []*wire.TimestampCert{garbage(0), garbage(1), garbage(2)}},
		{"one genuine certificate three times", cert.Ts, []*wire.TimestampCert{cert, cert, cert}},
		{"a genuine certificate and two forged ones", cert.Ts, []*wire.TimestampCert{cert, garbage(1), garbage(2)}},
		{"a certificate with a changed timestamp", cert.Ts + 1, []*wire.TimestampCert{shifted, garbage(1), garbage(2)}},
		{"a certificate claiming another replica", cert.Ts, []*wire.TimestampCert{cert, renamed, garbage(2)}},
	}
	for _, p := range proofs {
		req := &wire.SequenceRequest{Digest: d[:], Ts: p.ts, Proof: &wire.SequenceProof{Certs: p.certs}, Batch: raw}
		write(t, conn, frame(t, &wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: req}}))
		m := recvClient(t, conn, func(m *wire.ClientMessage) bool { return m.GetSequenceReject() != nil || m.GetSequenceAck() != nil })
		if m.GetSequenceAck() != nil {
			t.Errorf("%s: the replica acknowledged a forged proof", p.name)
			continue
		}
		t.Logf("%s: rejected: %s", p.name, m.GetSequenceReject().Reason)
	}
}

// submission wraps a batch in the request that hands it to a replica in
// c's mode.
func (c *cluster) submission(raw []byte) *wire.ClientMessage {
	if c.mode == config.ModePompe {
		return &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: raw}}}
	}
	return &wire.ClientMessage{Body: &wire.ClientMessage_Submit{Submit: &wire.Submit{Batch: raw}}}
}

// refusedInputs reads how many inputs from source ("replica" or "client")
// the target's state machine refused so far.
func (c *cluster) refusedInputs(t *testing.T, source string) float64 {
	t.Helper()
	v, err := c.metricSeries(target, `pompe_rejected_inputs_total{replica="`+strconv.Itoa(target)+`",source="`+source+`"}`)
	if err != nil {
		return 0 // no refusal yet: the series does not exist
	}
	return v
}

// expectRefused waits until the target refused more inputs from source
// than before.
func (c *cluster) expectRefused(t *testing.T, source string, before float64) {
	t.Helper()
	c.eventually("the target refuses the forged messages", func() bool {
		return c.refusedInputs(t, source) > before
	})
}

func (c *cluster) replicaKey(t *testing.T, i int) crypto.PublicKey {
	t.Helper()
	pub, err := crypto.DecodePublicKey(c.info.Genesis.Replicas[i].PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func (c *cluster) replicaPrivateKey(t *testing.T, i int) crypto.PrivateKey {
	t.Helper()
	h, err := config.Load(c.home(i))
	if err != nil {
		t.Fatal(err)
	}
	return h.Key
}

// dialClient opens a raw TLS client connection to the target.
func (c *cluster) dialClient(t *testing.T, key crypto.PrivateKey) *tls.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, err := transport.DialRawClient(ctx, c.clientAddr(target), key, c.replicaKey(t, target))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// dialPeer opens a raw TLS peer connection to the target with key.
func (c *cluster) dialPeer(t *testing.T, key crypto.PrivateKey) *tls.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, err := transport.DialRawPeer(ctx, c.peerAddr(target), key, c.replicaKey(t, target))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func newKey(t *testing.T) crypto.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func clientID(k crypto.PrivateKey) []byte {
	id := crypto.ClientIDOf(k.Public())
	return id[:]
}

func command(k crypto.PrivateKey, seq uint64) *wire.Command {
	return &wire.Command{ClientId: clientID(k), Seq: seq, Payload: kvstore.EncodePut([]byte("hostile"), []byte("x"))}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func frameHeader(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

func frame(t *testing.T, m proto.Message) []byte {
	t.Helper()
	f, err := wire.AppendFrame(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func write(t *testing.T, conn net.Conn, b []byte) {
	t.Helper()
	conn.SetWriteDeadline(time.Now().Add(waitTimeout))
	if _, err := conn.Write(b); err != nil {
		t.Fatal(err)
	}
}

// expectClosedByServer reads until the replica ends the connection; a
// connection still open after waitTimeout fails the test.
func expectClosedByServer(t *testing.T, conn *tls.Conn) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(waitTimeout))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the replica kept the connection open")
	}
}

// drainUntilClosed reads what the replica sends after the test closed its
// side, until the replica closes too (it may answer or not).
func drainUntilClosed(t *testing.T, conn *tls.Conn) {
	t.Helper()
	expectClosedByServer(t, conn)
}

// recvClient reads replica frames until one satisfies match.
func recvClient(t *testing.T, conn *tls.Conn, match func(*wire.ClientMessage) bool) *wire.ClientMessage {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(waitTimeout))
	var buf []byte
	for {
		// Unbuffered, so that nothing of the next frame is read ahead.
		body, err := wire.ReadFrame(conn, buf, clientMaxFrameBytes)
		if err != nil {
			t.Fatalf("no reply from the replica: %v", err)
		}
		m, err := wire.DecodeClientMessage(body)
		if err != nil {
			t.Fatalf("replica sent an undecodable frame: %v", err)
		}
		if match(m) {
			return m
		}
		buf = body[:0]
	}
}
