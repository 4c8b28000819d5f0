package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Defaults for the zero fields of Config.
const (
	DefaultPeerQueueFrames   = 8192
	DefaultPeerQueueBytes    = 256 << 20
	DefaultClientQueueFrames = 1024
	DefaultClientQueueBytes  = 4 << 20
	DefaultClientSendBytes   = 128 << 20
	// DefaultClientMaxFrameBytes is just above the largest legitimate
	// client message: a batch at batch.DefaultLimits.MaxBytes (4 MiB) plus
	// a sequence proof of 2f+1 certificates and the message's own fields.
	DefaultClientMaxFrameBytes  = 4<<20 + 256<<10
	DefaultInboundQueue         = 4096
	DefaultClientInboundQueue   = 4096
	DefaultDialBackoffMin       = 50 * time.Millisecond
	DefaultDialBackoffMax       = 5 * time.Second
	DefaultFirstByteTimeout     = 2 * time.Second
	DefaultHandshakeTimeout     = 3 * time.Second
	DefaultDialTimeout          = 10 * time.Second
	DefaultWriteTimeout         = 20 * time.Second
	DefaultClientIdleTimeout    = 5 * time.Minute
	DefaultFrameTimeout         = 10 * time.Second
	DefaultMaxClients           = 4096
	DefaultMaxClientsPerIP      = 256
	DefaultMaxClientsPerPrefix  = 1024
	DefaultMaxConnsPerClient    = 4
	DefaultMaxPendingHandshakes = 256
	DefaultMaxPendingPerIP      = 16
	DefaultMaxPendingPerPrefix  = 64
	// DefaultReservedPeerHandshakes is the pending-handshake pool of each
	// replica at a genesis peer IP, outside the listener's shared budget.
	DefaultReservedPeerHandshakes = 4
	DefaultClientInboundBytes     = 64 << 20
	DefaultClientInboundShare     = 16 << 20
	DefaultClientPrefixRate       = 16 << 20
	DefaultPeerInboundBytes       = 256 << 20
	DefaultBadProofLimit          = 8
	DefaultBadProofWindow         = 10 * time.Second
)

// frameMinBytesPerSecond is the slowest rate at which a frame, once
// started, must arrive: a frame of n bytes gets FrameTimeout plus n at this
// rate to finish (a 4 MiB client frame: 26 s).
const frameMinBytesPerSecond = 256 << 10

// Config configures one replica's Transport.
type Config struct {
	Self      uint32
	Key       crypto.PrivateKey // must be Committee.PublicKey(Self)'s private half
	Committee *crypto.Committee
	// PeerAddrs[i] is where replica i listens for peers ("host:port").
	PeerAddrs []string
	// ListenPeer is the peer listen address; empty means PeerAddrs[Self].
	ListenPeer string
	// ListenClient is the client listen address; empty means no client
	// listener.
	ListenClient string

	// GenesisHash identifies the genesis (cluster id, mode, committee):
	// peer links between replicas with different hashes are refused at the
	// handshake (genesis.go). Empty: no check.
	GenesisHash []byte

	// AdmitClient, if set, decides which client keys may connect (the
	// genesis client allowlist); others fail the TLS handshake. Nil: any
	// client that proves its key.
	AdmitClient func(crypto.ClientID) bool

	MaxFrameBytes       int // replica frames; default wire.DefaultMaxFrameBytes
	ClientMaxFrameBytes int // frames read from clients

	// Per-link send queue bounds. Frames waiting out an emulated delay count
	// toward them. A queue always accepts one frame when it is empty, so a
	// frame larger than the byte bound can still be sent.
	PeerQueueFrames   int
	PeerQueueBytes    int
	ClientQueueFrames int
	ClientQueueBytes  int
	// ClientSendBytes bounds the bytes queued to all clients together; a
	// client with a backlog at the bound is disconnected as slow.
	ClientSendBytes int

	InboundQueue       int // capacity of Inbound()
	ClientInboundQueue int // capacity of ClientInbound()

	// InspectPeer, when set, is called on a peer connection's reading
	// goroutine with every message decoded from that peer, before it is
	// queued to Inbound(). The node checks the signatures a message
	// carries into its caches there: in parallel across peers, in each
	// peer's order, and without a goroutine handoff of its own. It must
	// not modify the message; while it runs, that peer's frames wait.
	InspectPeer func(from uint32, m *wire.Message)

	// Inbound byte budgets (see inboundBudget): messages received but not
	// yet released by the consumer, and separately the buffers of frames
	// being read beyond their first 64 KiB. Clients share ClientInboundBytes,
	// at most ClientInboundShare per source prefix (/24 or /64); each peer
	// may hold PeerInboundBytes/(n-1).
	ClientInboundBytes int
	ClientInboundShare int
	PeerInboundBytes   int
	// ClientPrefixRate paces the bytes of client frames beyond their first
	// 64 KiB per source prefix, in bytes per second (prefixRate), in bursts
	// of up to ClientMaxFrameBytes; negative disables the pacing.
	ClientPrefixRate int

	DialBackoffMin time.Duration
	DialBackoffMax time.Duration
	// FirstByteTimeout: an accepted connection must send its first byte
	// within it. HandshakeTimeout: accept to end of TLS. DialTimeout:
	// dial to end of TLS, outbound.
	FirstByteTimeout time.Duration
	HandshakeTimeout time.Duration
	DialTimeout      time.Duration
	WriteTimeout     time.Duration // one coalesced write; a peer that stops reading is disconnected
	// ClientIdleTimeout closes a client connection that sends no frame for
	// that long. FrameTimeout (plus the frame's length at 256 KiB/s) bounds
	// the time a started frame may take to arrive, on every connection.
	ClientIdleTimeout time.Duration
	FrameTimeout      time.Duration

	MaxClients          int // concurrent client connections, handshaking ones included
	MaxClientsPerIP     int // established client connections from one IP
	MaxClientsPerPrefix int // established client connections from one /24 (IPv4) or /64 (IPv6)
	MaxConnsPerClient   int // a client's extra connections evict its oldest

	// Pending (unauthenticated) connections per listener, per source IP and
	// per source prefix. On the peer listener each genesis peer IP has a pool
	// of ReservedPeerHandshakes per replica there, outside these bounds.
	MaxPendingHandshakes   int
	MaxPendingPerIP        int
	MaxPendingPerPrefix    int
	ReservedPeerHandshakes int

	// BadProofLimit offences from one source IP within BadProofWindow (bad
	// proofs reported through ReportBadProof, and client connections ended
	// by a malformed, oversized or unfinished frame) disconnect the client
	// and refuse new client connections from that IP for a while (1 s,
	// doubling per offence up to a minute).
	BadProofLimit  int
	BadProofWindow time.Duration

	Emulator *LinkEmulator // nil: no emulation
	Logger   *slog.Logger  // nil: discard
	Metrics  prometheus.Registerer
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxFrameBytes, wire.DefaultMaxFrameBytes)
	def(&c.ClientMaxFrameBytes, DefaultClientMaxFrameBytes)
	def(&c.PeerQueueFrames, DefaultPeerQueueFrames)
	def(&c.PeerQueueBytes, DefaultPeerQueueBytes)
	def(&c.ClientQueueFrames, DefaultClientQueueFrames)
	def(&c.ClientQueueBytes, DefaultClientQueueBytes)
	def(&c.ClientSendBytes, DefaultClientSendBytes)
	def(&c.InboundQueue, DefaultInboundQueue)
	def(&c.ClientInboundQueue, DefaultClientInboundQueue)
	def(&c.ClientInboundBytes, DefaultClientInboundBytes)
	def(&c.ClientInboundShare, DefaultClientInboundShare)
	if c.ClientPrefixRate == 0 {
		c.ClientPrefixRate = DefaultClientPrefixRate
	}
	def(&c.PeerInboundBytes, DefaultPeerInboundBytes)
	def(&c.MaxClients, DefaultMaxClients)
	def(&c.MaxClientsPerIP, DefaultMaxClientsPerIP)
	def(&c.MaxClientsPerPrefix, DefaultMaxClientsPerPrefix)
	def(&c.MaxConnsPerClient, DefaultMaxConnsPerClient)
	def(&c.MaxPendingHandshakes, DefaultMaxPendingHandshakes)
	def(&c.MaxPendingPerIP, DefaultMaxPendingPerIP)
	def(&c.MaxPendingPerPrefix, DefaultMaxPendingPerPrefix)
	def(&c.ReservedPeerHandshakes, DefaultReservedPeerHandshakes)
	def(&c.BadProofLimit, DefaultBadProofLimit)
	defDur(&c.DialBackoffMin, DefaultDialBackoffMin)
	defDur(&c.DialBackoffMax, DefaultDialBackoffMax)
	defDur(&c.FirstByteTimeout, DefaultFirstByteTimeout)
	defDur(&c.HandshakeTimeout, DefaultHandshakeTimeout)
	defDur(&c.DialTimeout, DefaultDialTimeout)
	defDur(&c.WriteTimeout, DefaultWriteTimeout)
	defDur(&c.ClientIdleTimeout, DefaultClientIdleTimeout)
	defDur(&c.FrameTimeout, DefaultFrameTimeout)
	defDur(&c.BadProofWindow, DefaultBadProofWindow)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Committee != nil && c.ListenPeer == "" && int(c.Self) < len(c.PeerAddrs) {
		c.ListenPeer = c.PeerAddrs[c.Self]
	}
	return c
}

func (c Config) validate() error {
	if c.Committee == nil {
		return errors.New("transport: no committee")
	}
	n := c.Committee.N()
	if int(c.Self) >= n {
		return fmt.Errorf("transport: self %d outside committee of %d", c.Self, n)
	}
	if c.Key.IsZero() {
		return errors.New("transport: no key")
	}
	if string(c.Key.Public()) != string(c.Committee.PublicKey(c.Self)) {
		return fmt.Errorf("transport: key is not replica %d's genesis key", c.Self)
	}
	if len(c.PeerAddrs) != n {
		return fmt.Errorf("transport: %d peer addresses for %d replicas", len(c.PeerAddrs), n)
	}
	for i, a := range c.PeerAddrs {
		if a == "" && uint32(i) != c.Self {
			return fmt.Errorf("transport: replica %d has no address", i)
		}
	}
	if c.ListenPeer == "" {
		return errors.New("transport: no peer listen address")
	}
	if c.DialBackoffMin > c.DialBackoffMax {
		return fmt.Errorf("transport: dial back-off min %v exceeds max %v", c.DialBackoffMin, c.DialBackoffMax)
	}
	return nil
}
