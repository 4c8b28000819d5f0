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
	DefaultPeerQueueFrames      = 8192
	DefaultPeerQueueBytes       = 256 << 20
	DefaultClientQueueFrames    = 1024
	DefaultClientQueueBytes     = 4 << 20
	DefaultClientMaxFrameBytes  = 8 << 20
	DefaultInboundQueue         = 4096
	DefaultClientInboundQueue   = 4096
	DefaultDialBackoffMin       = 50 * time.Millisecond
	DefaultDialBackoffMax       = 5 * time.Second
	DefaultHandshakeTimeout     = 10 * time.Second
	DefaultWriteTimeout         = 20 * time.Second
	DefaultMaxClients           = 4096
	DefaultMaxConnsPerClient    = 4
	DefaultMaxPendingHandshakes = 256
)

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

	MaxFrameBytes       int // replica frames; default wire.DefaultMaxFrameBytes
	ClientMaxFrameBytes int // frames read from clients

	// Per-link send queue bounds. Frames waiting out an emulated delay count
	// toward them. A queue always accepts one frame when it is empty, so a
	// frame larger than the byte bound can still be sent.
	PeerQueueFrames   int
	PeerQueueBytes    int
	ClientQueueFrames int
	ClientQueueBytes  int

	InboundQueue       int // capacity of Inbound()
	ClientInboundQueue int // capacity of ClientInbound()

	DialBackoffMin   time.Duration
	DialBackoffMax   time.Duration
	HandshakeTimeout time.Duration // TCP accept or dial to end of TLS handshake
	WriteTimeout     time.Duration // one coalesced write; a peer that stops reading is disconnected

	MaxClients           int // concurrent client connections, handshaking ones included
	MaxConnsPerClient    int // a client's extra connections evict its oldest
	MaxPendingHandshakes int // unauthenticated connections per listener (at most 16 per source IP)

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
	def(&c.InboundQueue, DefaultInboundQueue)
	def(&c.ClientInboundQueue, DefaultClientInboundQueue)
	def(&c.MaxClients, DefaultMaxClients)
	def(&c.MaxConnsPerClient, DefaultMaxConnsPerClient)
	def(&c.MaxPendingHandshakes, DefaultMaxPendingHandshakes)
	defDur(&c.DialBackoffMin, DefaultDialBackoffMin)
	defDur(&c.DialBackoffMax, DefaultDialBackoffMax)
	defDur(&c.HandshakeTimeout, DefaultHandshakeTimeout)
	defDur(&c.WriteTimeout, DefaultWriteTimeout)
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
