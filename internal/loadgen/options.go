package loadgen

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/pkg/app/kvstore"
)

// Options describe one load run.
type Options struct {
	// Genesis is the cluster's genesis; its mode is the clients' mode.
	Genesis config.Genesis
	// ClientKeys holds one key per client; client k writes files named
	// after k.
	ClientKeys []crypto.PrivateKey
	// OutDir receives every client's logs and records. It must exist.
	OutDir string

	// Duration is the measured window: commands are submitted during it and
	// only phases that end inside it count.
	Duration time.Duration
	// Inflight is the most batches each client keeps outstanding. In the
	// closed loop it is also the load: Inflight*BatchCommands commands per
	// client are always pending.
	Inflight int
	// OrderingWindow, in Pompe mode, bounds each client's batches in the
	// ordering phase (client.Config.OrderingWindow); 0: only Inflight.
	// With a large Inflight it is the reference prototype's load model.
	OrderingWindow int
	// RatePerClient, when positive, makes the loop open: each client submits
	// this many commands per second, evenly spread, whatever the cluster
	// does. Commands that find the client's pending bound full are shed
	// and counted.
	RatePerClient float64
	// BatchCommands is the most commands per batch.
	BatchCommands int
	// BatchMaxDelay is how long a partial batch may wait to fill.
	BatchMaxDelay time.Duration
	// PayloadBytes is the encoded size of each command (a put whose value is
	// sized to fit); at least MinPayloadBytes.
	PayloadBytes int
	// KeySpace is how many distinct keys the clients write, shared out
	// evenly (0: DefaultKeySpace). Each client cycles through its share,
	// so the application's state stays bounded however long the run.
	KeySpace int

	// ConnectTimeout bounds the wait for each client's first connections.
	ConnectTimeout time.Duration
	// FirstSeq numbers each client's first command (0: 1). Fresh keys can
	// start at 1; keys used before against the same cluster must start
	// above every number they used, or replicas skip the commands as
	// already executed.
	FirstSeq uint64
	// RetryTimeout is the clients' retry timeout (0: the client default).
	RetryTimeout time.Duration
	// Emulators, when set, holds client k's link emulator at k (nil:
	// perfect links), for wide-area runs on one machine.
	Emulators []*transport.LinkEmulator
	// Logger receives the clients' logs (default: discarded).
	Logger *slog.Logger
}

// Defaults and bounds of Options.
const (
	DefaultInflight = 1
	// DefaultKeySpace keeps a replica's key-value state near 10 MiB with
	// the default payload, so long runs measure the protocol, not a growing
	// application.
	DefaultKeySpace       = 1 << 17
	DefaultBatchCommands  = 1
	DefaultBatchMaxDelay  = 2 * time.Millisecond
	DefaultPayloadBytes   = 64
	DefaultConnectTimeout = 15 * time.Second

	MaxClients         = 10_000
	MaxKeySpace        = 1 << 30
	MaxInflight        = 10_000
	MaxRatePerClient   = 10_000_000
	MaxDuration        = 24 * time.Hour
	maxPendingCommands = 1 << 20
)

// MinPayloadBytes is the size of the smallest put the generator sends: a
// key of its own and an empty value. MaxPayloadBytes is the largest: the
// key-value store's value limit plus the key.
var (
	MinPayloadBytes = len(kvstore.EncodePut(commandKey(nil, 0, 0), nil))
	MaxPayloadBytes = len(kvstore.EncodePut(commandKey(nil, 0, 0), make([]byte, kvstore.DefaultMaxValueBytes)))
)

func (o Options) withDefaults() Options {
	if o.Inflight == 0 {
		o.Inflight = DefaultInflight
	}
	if o.BatchCommands == 0 {
		o.BatchCommands = DefaultBatchCommands
	}
	if o.BatchMaxDelay == 0 {
		o.BatchMaxDelay = DefaultBatchMaxDelay
	}
	if o.PayloadBytes == 0 {
		o.PayloadBytes = DefaultPayloadBytes
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.KeySpace == 0 {
		o.KeySpace = DefaultKeySpace
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func (o Options) validate() error {
	switch {
	case len(o.ClientKeys) == 0:
		return errors.New("loadgen: no clients")
	case len(o.ClientKeys) > MaxClients:
		return fmt.Errorf("loadgen: %d clients, at most %d", len(o.ClientKeys), MaxClients)
	case o.OutDir == "":
		return errors.New("loadgen: no output directory")
	case o.Duration <= 0 || o.Duration > MaxDuration:
		return fmt.Errorf("loadgen: duration %v, want above 0 and at most %v", o.Duration, MaxDuration)
	case o.Inflight < 1 || o.Inflight > MaxInflight:
		return fmt.Errorf("loadgen: inflight %d, want 1..%d", o.Inflight, MaxInflight)
	case o.OrderingWindow < 0 || o.OrderingWindow > o.Inflight:
		return fmt.Errorf("loadgen: ordering window %d, want 0..inflight (%d)", o.OrderingWindow, o.Inflight)
	case o.RatePerClient < 0 || o.RatePerClient > MaxRatePerClient:
		return fmt.Errorf("loadgen: rate %g commands/s per client, want 0..%d", o.RatePerClient, MaxRatePerClient)
	case o.BatchCommands < 1:
		return fmt.Errorf("loadgen: batch of %d commands, want at least 1", o.BatchCommands)
	case o.BatchMaxDelay < 0:
		return fmt.Errorf("loadgen: batch delay %v is negative", o.BatchMaxDelay)
	case o.PayloadBytes < MinPayloadBytes || o.PayloadBytes > MaxPayloadBytes:
		return fmt.Errorf("loadgen: payload of %d bytes, want %d..%d (a put with its own key)", o.PayloadBytes, MinPayloadBytes, MaxPayloadBytes)
	case o.ConnectTimeout < 0:
		return fmt.Errorf("loadgen: connect timeout %v is negative", o.ConnectTimeout)
	case o.KeySpace < 0 || o.KeySpace > MaxKeySpace:
		return fmt.Errorf("loadgen: key space of %d keys, want 0 (default) to %d", o.KeySpace, MaxKeySpace)
	}
	if !o.Genesis.Mode.Valid() {
		return fmt.Errorf("loadgen: genesis mode %q is neither %q nor %q", o.Genesis.Mode, config.ModePompe, config.ModeHotStuff)
	}
	return nil
}

// maxPending bounds each client's commands submitted and not completed:
// twice the closed loop's load (a completing command keeps its slot until
// its callback returns), or two seconds of the open loop's rate.
func (o Options) maxPending() int {
	closed := 2 * o.Inflight * o.BatchCommands
	if o.RatePerClient > 0 {
		closed = max(closed, int(2*o.RatePerClient))
	}
	return min(max(closed, o.BatchCommands), maxPendingCommands)
}
