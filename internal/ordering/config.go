package ordering

import (
	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/tsproof"
)

// Config parameterizes the ordering layer. Times are microseconds.
type Config struct {
	Self      uint32
	Committee *crypto.Committee
	Signer    *crypto.Signer
	Verifier  *tsproof.Verifier

	// DeltaUs is the initial liveness slack: a leader closes slots at
	// now - delta. It doubles (up to DeltaMaxUs) after a slot during which
	// clients retried batches (a timestamp request with a non-zero attempt:
	// their sequencing was rejected), and decays slowly back toward DeltaUs.
	DeltaUs    int64
	DeltaMaxUs int64
	// SkewUs is the clock difference tolerated: a boundary further than this
	// in this replica's future is refused.
	SkewUs int64
	// WindowUs and WindowMaxRequests bound a timestamp signing window. With
	// WindowUs 0 a window closes at the end of each driver turn (Flush):
	// the requests that arrived together share one signature.
	WindowUs          int64
	WindowMaxRequests int
	// UnsequencedTTLUs is how long a timestamped body is kept without being
	// sequenced.
	UnsequencedTTLUs int64
	// MaxBodies bounds unsequenced bodies held; MaxPending bounds sequenced
	// batches not yet committed.
	MaxBodies  int
	MaxPending int
	// FetchRetryUs is how long a fetch waits before asking another replica.
	FetchRetryUs int64
	// RetentionBlocks is how many committed blocks' bodies stay stored.
	RetentionBlocks uint64
	// RecentCommitted is how many committed digests are remembered, to
	// refuse them in later slots and to re-acknowledge late retries.
	RecentCommitted int
	Limits          batch.Limits
}

func (c *Config) setDefaults() {
	if c.DeltaUs <= 0 {
		c.DeltaUs = 5_000
	}
	if c.DeltaMaxUs < c.DeltaUs {
		c.DeltaMaxUs = 200 * c.DeltaUs
	}
	if c.SkewUs <= 0 {
		c.SkewUs = 50_000
	}
	if c.WindowMaxRequests <= 0 {
		c.WindowMaxRequests = 256
	}
	if c.WindowMaxRequests > tsproof.MaxLeaves {
		c.WindowMaxRequests = tsproof.MaxLeaves
	}
	if c.UnsequencedTTLUs <= 0 {
		c.UnsequencedTTLUs = 30_000_000
	}
	if c.MaxBodies <= 0 {
		c.MaxBodies = 200_000
	}
	if c.MaxPending <= 0 {
		c.MaxPending = 100_000
	}
	if c.FetchRetryUs <= 0 {
		c.FetchRetryUs = 200_000
	}
	if c.RecentCommitted <= 0 {
		c.RecentCommitted = 1 << 20
	}
	if c.Limits == (batch.Limits{}) {
		c.Limits = batch.DefaultLimits
	}
	if c.Verifier == nil {
		c.Verifier = tsproof.NewVerifier(c.Committee, 0)
	}
}

// Tree is what the ordering layer reads of the consensus core.
type Tree interface {
	Block(h hotstuff.Hash) *hotstuff.Block
	IsCommitted(h hotstuff.Hash) bool
	IsValidated(h hotstuff.Hash) bool
	View() uint64
	Leader(view uint64) uint32
	Fetch(now int64, h hotstuff.Hash, hint uint32)
}
