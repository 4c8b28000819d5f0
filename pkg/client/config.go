package client

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/transport"
)

// Defaults for the zero fields of Config.
const (
	DefaultBatchMaxCommands = 1
	DefaultInflight         = 1
	DefaultRetryTimeout     = 2 * time.Second
	DefaultBackoffMin       = 10 * time.Millisecond
	DefaultBackoffMax       = time.Second
)

// Limits that protect replicas and the client itself.
const (
	// MaxPayloadBytes bounds one command's payload.
	MaxPayloadBytes = 1 << 20
	// maxBatchPayloadBytes keeps a batch well inside the replicas' batch
	// limit (batch.DefaultLimits, 4 MiB), leaving room for headers.
	maxBatchPayloadBytes = 3 << 20
	// maxAttemptsTracked bounds the digests remembered per batch: an
	// Executed report for an attempt older than that is no longer matched.
	maxAttemptsTracked = 256
)

// Replica is one replica as the client sees it.
type Replica struct {
	ID         uint32
	ClientAddr string
	PublicKey  crypto.PublicKey
}

// Config configures a Client. Zero fields take the defaults above.
type Config struct {
	// Replicas lists the whole committee, ID i at index i.
	Replicas []Replica
	// Cluster is the cluster id every replica signature is bound to.
	Cluster []byte
	// Key is the client's identity; its client id is
	// crypto.ClientIDOf(Key.Public()).
	Key  crypto.PrivateKey
	Mode config.Mode

	// FirstSeq is the first command's sequence number (default 1). A
	// client that reuses its key against the same cluster must start after
	// the last number it used, or replicas discard its commands as
	// duplicates.
	FirstSeq uint64

	// BatchMaxCommands is the most commands in one batch.
	BatchMaxCommands int
	// BatchMaxDelay is how long a command may wait for a batch to fill.
	// Zero sends whatever is queued as soon as a batch may go out.
	BatchMaxDelay time.Duration
	// Inflight is the most batches outstanding at once.
	Inflight int
	// OrderingWindow, in Pompe mode, is the most batches in the ordering
	// phase at once (timestamps asked for, not yet sequenced by 2f+1
	// acks); batches sequenced and waiting for execution count against
	// Inflight only. 0: no separate bound. This is the reference
	// prototype's load model: a bounded ordering window per client, and
	// nothing bounded awaiting execution but memory (Inflight).
	OrderingWindow int
	// MaxPending bounds the commands submitted but not yet completed;
	// default Inflight*BatchMaxCommands*4.
	MaxPending int
	// RetryTimeout is how long a batch may make no progress before the
	// client resends it (baseline) or starts a new attempt (Pompe).
	RetryTimeout time.Duration
	// BackoffMin and BackoffMax bound the capped exponential back-off
	// before a new Pompe attempt that follows rejections.
	BackoffMin time.Duration
	BackoffMax time.Duration

	// Records, when set, receives one record per command. The client
	// flushes it but does not close it. RecordsTo is the same for a plain
	// writer; set at most one of the two.
	Records   *runlog.ClientRecordWriter
	RecordsTo io.Writer

	Logger   *slog.Logger
	Emulator *transport.LinkEmulator
}

// FromGenesis fills the committee, cluster id and mode of a Config from a
// cluster's genesis; the caller sets the rest.
func FromGenesis(g *config.Genesis, key crypto.PrivateKey) (Config, error) {
	if err := g.Validate(); err != nil {
		return Config{}, fmt.Errorf("client: genesis: %w", err)
	}
	pubs, err := g.PublicKeys()
	if err != nil {
		return Config{}, fmt.Errorf("client: genesis: %w", err)
	}
	cfg := Config{Cluster: []byte(g.ClusterID), Key: key, Mode: g.Mode}
	for i, r := range g.Replicas {
		cfg.Replicas = append(cfg.Replicas, Replica{ID: uint32(i), ClientAddr: r.ClientAddress, PublicKey: pubs[i]})
	}
	return cfg, nil
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.BatchMaxCommands, DefaultBatchMaxCommands)
	def(&c.Inflight, DefaultInflight)
	def(&c.MaxPending, c.Inflight*c.BatchMaxCommands*4)
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur(&c.RetryTimeout, DefaultRetryTimeout)
	defDur(&c.BackoffMin, DefaultBackoffMin)
	defDur(&c.BackoffMax, DefaultBackoffMax)
	if c.FirstSeq == 0 {
		c.FirstSeq = 1
	}
	if c.BatchMaxDelay < 0 {
		c.BatchMaxDelay = 0
	}
	if c.Mode == "" {
		c.Mode = config.ModePompe
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) validate() error {
	if len(c.Replicas) == 0 {
		return errors.New("client: no replicas")
	}
	for i, r := range c.Replicas {
		if r.ID != uint32(i) {
			return fmt.Errorf("client: replica at index %d has id %d; list replicas in id order", i, r.ID)
		}
		if r.ClientAddr == "" {
			return fmt.Errorf("client: replica %d has no client address", i)
		}
	}
	if c.Key.IsZero() {
		return errors.New("client: no key")
	}
	if !c.Mode.Valid() {
		return fmt.Errorf("client: mode %q is neither %q nor %q", c.Mode, config.ModePompe, config.ModeHotStuff)
	}
	if c.BatchMaxCommands > batch.DefaultLimits.MaxCommands {
		return fmt.Errorf("client: batch of %d commands exceeds the replicas' limit %d", c.BatchMaxCommands, batch.DefaultLimits.MaxCommands)
	}
	if c.MaxPending < c.BatchMaxCommands {
		return fmt.Errorf("client: max pending %d is below one batch (%d commands)", c.MaxPending, c.BatchMaxCommands)
	}
	if c.OrderingWindow < 0 {
		return fmt.Errorf("client: ordering window %d is negative", c.OrderingWindow)
	}
	if c.BackoffMin > c.BackoffMax {
		return fmt.Errorf("client: back-off min %v exceeds max %v", c.BackoffMin, c.BackoffMax)
	}
	if c.Records != nil && c.RecordsTo != nil {
		return errors.New("client: set Records or RecordsTo, not both")
	}
	return nil
}

func (c Config) committee() (*crypto.Committee, error) {
	pubs := make([]crypto.PublicKey, len(c.Replicas))
	for i, r := range c.Replicas {
		pubs[i] = r.PublicKey
	}
	com, err := crypto.NewCommittee(c.Cluster, pubs)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return com, nil
}

// modeBaseline is plain HotStuff: no ordering phase.
const modeBaseline = config.ModeHotStuff
