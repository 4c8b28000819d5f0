package hotstuff

import (
	"errors"
	"fmt"
	"log/slog"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Broadcast as a destination sends to every replica but the sender.
const Broadcast = -1

// maxViewsAhead bounds how far beyond its current view a replica tallies
// votes and timeouts, so signed messages for arbitrary future views cannot
// grow its memory.
const maxViewsAhead = 64

// maxVotesPerVoter bounds the distinct blocks of one view a voter's votes
// are tallied for.
const maxVotesPerVoter = 2

// Envelope is a message to send to one replica (To >= 0) or all (Broadcast).
type Envelope struct {
	To  int
	Msg *wire.Message
	// Early marks a message that depends on no unsynced write (a request,
	// or data checked by its receiver against a digest or certificate): a
	// driver may send it before syncing the writes of its Ready, once
	// this and earlier Readies marked Barrier are durable. Drivers that ignore it
	// stay safe.
	Early bool
}

// Ready is what the core hands its caller after a batch of inputs.
type Ready struct {
	// Writes must be durable (synced) before any of Messages is sent.
	Writes storage.Batch
	// Messages to send, in order.
	Messages []Envelope
	// Committed blocks, in chain order, for execution.
	Committed []*Block
	// Violation is set when the core saw evidence that safety was broken
	// (a committed block conflicting with an earlier commit). It cannot
	// happen with at most f faulty replicas; simulations check it.
	Violation error
	// Events tell the driver what an operator wants to hear about (view
	// changes other than normal progress, catch-up); see Events.
	Events Events
}

// Config parameterizes a core.
type Config struct {
	ID        uint32
	Committee *crypto.Committee
	Scheme    crypto.QuorumScheme
	Signer    *crypto.Signer
	Rules     PayloadRules
	Logger    *slog.Logger

	// ViewTimeoutUs is the view timeout until views have been measured, and
	// the highest base timeout; measured view durations bring the base down
	// to no less than ViewTimeoutMinUs (default ViewTimeoutUs/10). The
	// timeout doubles after each consecutive failed view, up to
	// ViewTimeoutMaxUs, and returns to the base as soon as a view succeeds.
	ViewTimeoutUs    int64
	ViewTimeoutMinUs int64
	ViewTimeoutMaxUs int64
	// LeaderPolicy chooses leaders: reputation (default), round robin, or
	// fixed. For compatibility a FixedLeader >= 0 selects LeaderFixed.
	LeaderPolicy LeaderPolicy
	// FixedLeader is the leader of every view under LeaderFixed.
	FixedLeader int
	// ReputationWindow is how many recent committed blocks the reputation
	// policy reads (default 8n; the memory and storage retention are raised
	// to keep them).
	ReputationWindow uint64
	// LeaderTermViews is how many consecutive views one leader keeps before
	// the next one takes over (at least 1). The 2-chain commit needs three
	// correct leaders in a row (views v, v+1 and the proposal of v+2 that
	// carries the QC of v+1), so one-view terms commit as soon as no faulty
	// replica is among them; longer terms save a collect round trip per
	// view in Pompe mode but cost a faulty leader's whole term in timeouts.
	LeaderTermViews uint64
	// FetchRetryUs is how long a block fetch waits before asking another
	// replica.
	FetchRetryUs int64
	// MaxOrphans bounds blocks buffered while their ancestors are fetched.
	MaxOrphans int
	// MemoryBlocks is how many committed blocks stay in memory below the
	// committed tip; older ones are served from storage.
	MemoryBlocks uint64
	// RetentionBlocks is how many committed blocks stay in storage below the
	// committed tip (0 keeps everything).
	RetentionBlocks uint64
	// MaxFetchBlocks bounds the blocks one fetch response carries.
	MaxFetchBlocks int
}

func (c *Config) setDefaults() {
	if c.ViewTimeoutUs <= 0 {
		c.ViewTimeoutUs = 1_000_000
	}
	if c.ViewTimeoutMinUs <= 0 || c.ViewTimeoutMinUs > c.ViewTimeoutUs {
		c.ViewTimeoutMinUs = c.ViewTimeoutUs / 10
	}
	if c.ViewTimeoutMaxUs < c.ViewTimeoutUs {
		c.ViewTimeoutMaxUs = 10 * c.ViewTimeoutUs
	}
	if c.LeaderTermViews == 0 {
		c.LeaderTermViews = 1
	}
	if c.FixedLeader >= 0 {
		c.LeaderPolicy = LeaderFixed
	}
	if c.FetchRetryUs <= 0 {
		c.FetchRetryUs = 200_000
	}
	if c.MaxOrphans <= 0 {
		c.MaxOrphans = 4096
	}
	if c.MemoryBlocks == 0 {
		c.MemoryBlocks = 256
	}
	if c.ReputationWindow == 0 && c.Committee != nil {
		c.ReputationWindow = uint64(8 * c.Committee.N())
	}
	// The reputation rule walks ReputationWindow committed blocks below
	// the committed tip, plus as many uncommitted ones; they must still be
	// there.
	if c.LeaderPolicy == LeaderReputation {
		if need := 2*c.ReputationWindow + maxGapViews; c.MemoryBlocks < need {
			c.MemoryBlocks = need
		}
		if c.RetentionBlocks != 0 && c.RetentionBlocks < c.MemoryBlocks {
			c.RetentionBlocks = c.MemoryBlocks
		}
	}
	if c.MaxFetchBlocks <= 0 {
		c.MaxFetchBlocks = 128
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// validation state of a block at this replica.
type vstate uint8

const (
	vUnchecked vstate = iota
	vWaiting
	vValid
	vInvalid
)

type node struct {
	b         *Block
	state     vstate
	committed bool
	// proposed: the block arrived in a proposal signed by its proposer that
	// passed the proposal checks (certificate that opens the view, first
	// proposal of the view). Only such blocks are voted for: a fetched block
	// carries no proposer signature and no timeout certificate, so anyone
	// could have made it up.
	proposed bool
}

// orphan is a block waiting for its parent to be fetched.
type orphan struct {
	b        *Block
	proposed bool
}

type voteKey struct {
	view uint64
	hash Hash
}

type fetchState struct {
	askedAt int64
	tries   int
	hint    uint32
}

// Core is one replica's HotStuff state machine.
type Core struct {
	cfg     Config
	cluster []byte
	n, q    int
	store   Reader
	now     int64

	// Safety state, persisted as a whole whenever it changes.
	view      uint64
	lastVoted uint64
	lockedQC  *wire.QuorumCert
	highQC    *wire.QuorumCert
	lastTC    *wire.TimeoutCert
	dirty     bool

	genesis *Block
	blocks  map[Hash]*node
	// atHeight indexes blocks by height, so that pruning visits only the
	// heights it may empty instead of every block in memory on every
	// commit. memLow: no block below it is in memory; forkChecked: no
	// uncommitted block at or below it (but above memLow) is in memory.
	// addBlock lowers them when a block arrives below them.
	atHeight        map[uint64][]Hash
	memLow          uint64
	forkChecked     uint64
	committedHeight uint64
	committedHash   Hash
	prunedTo        uint64 // storage holds no committed block below this height

	// Leader rule (leader.go).
	all       []uint32           // every replica, in index order
	everyone  *schedule          // all eligible, nothing failed
	schedules map[Hash]*schedule // memo of scheduleAt by block hash

	// Pacemaker.
	deadline     int64 // 0: no view timer armed
	failures     int   // consecutive timed-out views
	armedAt      int64 // when the view timer was first armed in this view (0: not yet)
	viewAvgUs    int64 // moving average of successful views' durations (-1: none yet)
	idleTimeouts int   // timeouts in a row for rules' work only, no block seen (maxIdleTimeouts)
	timedOut     uint64
	proposedView uint64
	votes        map[voteKey]map[uint32][]byte
	voted        map[uint64][]uint8 // blocks each voter voted for, per view
	proposalView uint64             // view of the proposal accepted last
	proposalHash Hash
	timeouts     map[uint64]map[uint32]timeoutPart
	verifiedTC   [32]byte // digest of the last TC that verified
	waiting      []Hash   // blocks whose validation said Wait
	orphans      map[Hash][]orphan
	orphanCount  int
	fetching     map[Hash]*fetchState
	announce     bool // a commit of payload still has to reach the others
	refused      int  // blocks whose payload failed validation
	viewChanges  int  // timeout certificates adopted
	catchingUp   bool // behind a certificate whose chain is still being fetched (events.go)

	rd Ready
}

// New builds a core and recovers its state from store.
func New(cfg Config, store Reader) (*Core, error) {
	cfg.setDefaults()
	if cfg.Committee == nil || cfg.Signer == nil || cfg.Rules == nil || cfg.Scheme == nil {
		return nil, errors.New("hotstuff: config needs committee, scheme, signer and rules")
	}
	if int(cfg.ID) >= cfg.Committee.N() {
		return nil, fmt.Errorf("hotstuff: replica id %d outside committee of %d", cfg.ID, cfg.Committee.N())
	}
	c := &Core{
		cfg:      cfg,
		cluster:  cfg.Committee.Cluster(),
		n:        cfg.Committee.N(),
		q:        cfg.Committee.Quorum(),
		store:    store,
		blocks:   make(map[Hash]*node),
		votes:    make(map[voteKey]map[uint32][]byte),
		voted:    make(map[uint64][]uint8),
		timeouts: make(map[uint64]map[uint32]timeoutPart),
		orphans:  make(map[Hash][]orphan),
		fetching: make(map[Hash]*fetchState),
	}
	for i := 0; i < c.n; i++ {
		c.all = append(c.all, uint32(i))
	}
	c.everyone = newSchedule(c.all, c.n)
	c.viewAvgUs = -1
	c.schedules = make(map[Hash]*schedule)
	c.genesis = genesisBlock(c.cluster)
	c.atHeight = make(map[uint64][]Hash)
	c.memLow, c.forkChecked = c.genesis.Height, c.genesis.Height
	c.addBlock(&node{b: c.genesis, state: vValid, committed: true})
	c.committedHash = c.genesis.Hash
	c.highQC = c.genesis.Justify
	c.lockedQC = c.genesis.Justify
	c.view = 1
	if err := c.recover(); err != nil {
		return nil, err
	}
	return c, nil
}

// recover loads the safety state, the committed tip and every stored block
// above it.
func (c *Core) recover() error {
	if rec, err := c.store.Get(keySafety); err == nil {
		var s wire.SafetyState
		if err := proto.Unmarshal(rec, &s); err != nil {
			return fmt.Errorf("hotstuff: corrupt safety state: %w", err)
		}
		c.view, c.lastVoted, c.lastTC = s.View, s.LastVotedView, s.LastTc
		if s.LockedQc != nil {
			c.lockedQC = s.LockedQc
		}
		if s.HighQc != nil {
			c.highQC = s.HighQc
		}
		if c.view == 0 {
			c.view = 1
		}
	} else if !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("hotstuff: read safety state: %w", err)
	}
	if rec, err := c.store.Get(keyCursor); err == nil {
		var cur wire.CommitCursor
		if err := proto.Unmarshal(rec, &cur); err != nil {
			return fmt.Errorf("hotstuff: corrupt commit cursor: %w", err)
		}
		h, err := HashFromBytes(cur.Hash)
		if err != nil {
			return fmt.Errorf("hotstuff: corrupt commit cursor: %w", err)
		}
		b, err := loadBlock(c.store, c.cluster, c.n, h)
		if err != nil || b == nil {
			return fmt.Errorf("hotstuff: committed block %s missing from storage: %v", h, err)
		}
		c.addBlock(&node{b: b, state: vValid, committed: true})
		c.committedHeight, c.committedHash = b.Height, h
	} else if !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("hotstuff: read commit cursor: %w", err)
	}
	// Uncommitted blocks above the tip, in height order so parents come first.
	start := blockKey(c.committedHeight+1, Hash{})
	end := []byte{prefixBlock + 1}
	var stored []*Block
	err := c.store.Scan(start, end, func(_, v []byte) bool {
		b, err := decodeStoredBlock(c.cluster, c.n, v)
		if err == nil {
			stored = append(stored, b)
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("hotstuff: scan blocks: %w", err)
	}
	for _, b := range stored {
		if _, ok := c.blocks[b.Parent]; ok {
			c.addBlock(&node{b: b})
			c.waiting = append(c.waiting, b.Hash) // validated again: votes may depend on it
			if b.Proposer == c.cfg.ID && b.View > c.proposedView {
				c.proposedView = b.View // never propose twice in a view, restarts included
			}
		}
	}
	return nil
}

// Refused counts blocks this core refused to vote for because their payload
// failed validation.
func (c *Core) Refused() int { return c.refused }

// ViewChanges counts views this core left through a timeout certificate.
func (c *Core) ViewChanges() int { return c.viewChanges }

// View is the current view.
func (c *Core) View() uint64 { return c.view }

// CommittedHeight is the height of the newest committed block.
func (c *Core) CommittedHeight() uint64 { return c.committedHeight }

// CommittedHash is the hash of the newest committed block.
func (c *Core) CommittedHash() Hash { return c.committedHash }

// HighQCView is the view of the highest QC known.
func (c *Core) HighQCView() uint64 { return c.highQC.View }

// Block returns a known block (in memory or storage), or nil.
func (c *Core) Block(h Hash) *Block {
	if nd, ok := c.blocks[h]; ok {
		return nd.b
	}
	b, err := loadBlock(c.store, c.cluster, c.n, h)
	if err != nil {
		return nil
	}
	return b
}

// IsCommitted reports whether h is a committed block known in memory.
func (c *Core) IsCommitted(h Hash) bool {
	nd, ok := c.blocks[h]
	return ok && nd.committed
}

// Ready returns the accumulated outputs and resets them. The caller
// persists Writes (synced) before sending Messages.
func (c *Core) Ready() Ready {
	if c.dirty {
		c.persistSafety()
	}
	c.checkCaughtUp()
	rd := c.rd
	c.rd = Ready{}
	return rd
}

func (c *Core) persistSafety() {
	c.dirty = false
	s := &wire.SafetyState{
		LastVotedView: c.lastVoted,
		LockedQc:      c.lockedQC,
		HighQc:        c.highQC,
		View:          c.view,
		LastTc:        c.lastTC,
	}
	c.rd.Writes.Put(keySafety, wire.Marshal(s))
}

// WakeAt is the time at which the core wants a Tick (0: none).
func (c *Core) WakeAt() int64 {
	w := c.deadline
	for _, f := range c.fetching {
		t := f.askedAt + c.cfg.FetchRetryUs
		if w == 0 || t < w {
			w = t
		}
	}
	return w
}

func (c *Core) send(to int, m *wire.Message) {
	c.rd.Messages = append(c.rd.Messages, Envelope{To: to, Msg: m})
}

func (c *Core) debug(msg string, args ...any) {
	// The logger carries the replica's identity (the driver adds it once).
	c.cfg.Logger.Debug(msg, append([]any{"view", c.view}, args...)...)
}

// String summarizes the core's state for logs and debugging.
func (c *Core) String() string {
	tc := uint64(0)
	if c.lastTC != nil {
		tc = c.lastTC.View
	}
	_, haveHigh := c.blocks[c.qcHash(c.highQC)]
	return fmt.Sprintf("view=%d lastVoted=%d timedOut=%d highQC=%d(have=%v) lock=%d lastTC=%d committed=%d proposed=%d failures=%d deadline=%d fetching=%d orphans=%d waiting=%d",
		c.view, c.lastVoted, c.timedOut, c.highQC.View, haveHigh, c.lockedQC.View, tc, c.committedHeight, c.proposedView, c.failures, c.deadline, len(c.fetching), c.orphanCount, len(c.waiting))
}

// Fetch asks for block h (and its ancestors) from hint, then from others,
// unless it is known or already being fetched. Payload rules use it when a
// message names a block this replica has not seen.
func (c *Core) Fetch(now int64, h Hash, hint uint32) {
	c.now = now
	if _, ok := c.blocks[h]; ok {
		return
	}
	c.fetch(h, hint)
}

// IsValidated reports whether h passed payload validation here (or is
// committed).
func (c *Core) IsValidated(h Hash) bool {
	nd, ok := c.blocks[h]
	return ok && (nd.committed || nd.state == vValid)
}
