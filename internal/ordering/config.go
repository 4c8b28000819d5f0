package ordering

import (
	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Config parameterizes the ordering layer. Times are microseconds.
type Config struct {
	Self      uint32
	Committee *crypto.Committee
	Signer    *crypto.Signer
	Verifier  *tsproof.Verifier

	// DeltaUs is the initial liveness slack: a leader closes slots at
	// now - delta. It widens (up to DeltaMaxUs) only on evidence that a
	// batch missed its slot, by what that batch needed (evidence.go), and
	// decays slowly back toward DeltaUs.
	DeltaUs    int64
	DeltaMaxUs int64
	// SkewUs is the clock difference tolerated: a boundary further than this
	// in this replica's future is refused.
	SkewUs int64
	// WindowUs and WindowMaxRequests bound a timestamp signing window. A
	// window closes at the end of a driver turn (Flush), so the requests
	// that arrived together share one signature, unless the last window
	// was signed less than WindowUs ago: then it stays open until WindowUs
	// has passed since, and a loaded replica signs at most one window per
	// WindowUs. A window closes at once with WindowMaxRequests requests.
	WindowUs          int64
	WindowMaxRequests int
	// UnsequencedTTLUs is how long a timestamped body is kept without being
	// sequenced.
	UnsequencedTTLUs int64
	// MaxBodies bounds unsequenced bodies held; MaxPending bounds sequenced
	// batches not yet committed.
	MaxBodies  int
	MaxPending int
	// MaxBodyBytes bounds the bytes of unsequenced bodies held; one client's
	// timestamped batches may take ClientBodies bodies and ClientBodyBytes
	// bytes of it (unsequenced.go).
	MaxBodyBytes    int64
	ClientBodies    int
	ClientBodyBytes int64
	// MaxPendingBytes bounds the bytes of sequenced batches not yet
	// committed; one submitter may hold a quarter of MaxPending and of
	// MaxPendingBytes.
	MaxPendingBytes int64
	// MaxKnownBytes bounds the bodies and proofs a leader holds of batches
	// learned from other replicas' collect replies; each replica's entries
	// may take 1/n of it (and 1/n of MaxPending in count).
	MaxKnownBytes int64
	// MaxServeBytes bounds one fetch response; ServeBytesPerSec and
	// ServeBurstBytes are the byte budget each replica's fetches get
	// (package servebudget).
	MaxServeBytes    int64
	ServeBytesPerSec int64
	ServeBurstBytes  int64
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
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 64 << 20
	}
	if c.ClientBodies <= 0 {
		c.ClientBodies = 4096
	}
	if c.ClientBodyBytes <= 0 {
		c.ClientBodyBytes = 16 << 20
	}
	if c.MaxPendingBytes <= 0 {
		c.MaxPendingBytes = 128 << 20
	}
	if c.MaxKnownBytes <= 0 {
		c.MaxKnownBytes = 64 << 20
	}
	// MaxServeBytes, ServeBytesPerSec, ServeBurstBytes: zero takes
	// package servebudget's defaults.
	if c.FetchRetryUs <= 0 {
		c.FetchRetryUs = 200_000
	}
	if c.RecentCommitted <= 0 {
		c.RecentCommitted = 1 << 20
	}
	c.Limits = c.Limits.WithDefaults()
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
	// LeaderOn is the leader of view for a block extending parent: the
	// leader rule reads the chain, so a collect is judged by its parent.
	LeaderOn(view uint64, parent hotstuff.Hash) uint32
	// CommittedHash is the newest committed block.
	CommittedHash() hotstuff.Hash
	Fetch(now int64, h hotstuff.Hash, hint uint32)
	// ViewCert is the certificate that opened the current view; a leader's
	// collect carries it.
	ViewCert() *wire.Sync
}
