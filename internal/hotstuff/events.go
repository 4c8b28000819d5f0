package hotstuff

// Events are what a core did that an operator wants to hear about: views
// left other than by the normal progress of one certified block per view,
// and catching up with a cluster that moved on without this replica. They
// come out of Ready like everything else the core produces, so the core
// stays free of I/O; the driver (internal/node) logs them, rate-limited.
// They carry no obligation: a driver may ignore them.
type Events struct {
	// ViewChanges are the first maxViewChangeEvents changes of one Ready,
	// in order; MoreViewChanges counts those beyond (a driver that drains
	// many inputs per Ready still gets a bounded slice).
	ViewChanges     []ViewChange
	MoreViewChanges int
	// CatchUpStarted is set when this replica found itself behind in this
	// Ready; CatchUpFinished when it caught up (both may be set, started
	// first: the state is evaluated once per Ready).
	CatchUpStarted  *CatchUp
	CatchUpFinished *CatchUp
}

// maxViewChangeEvents bounds Events.ViewChanges per Ready.
const maxViewChangeEvents = 16

// Empty reports whether nothing happened.
func (e *Events) Empty() bool {
	return len(e.ViewChanges) == 0 && e.MoreViewChanges == 0 && e.CatchUpStarted == nil && e.CatchUpFinished == nil
}

// ViewChangeReason says why a core entered a view.
type ViewChangeReason uint8

const (
	// ViewTimedOut: a timeout certificate of view To-1 opened view To:
	// 2f+1 replicas gave up on that view, whose leader got no block
	// certified in time (crashed, partitioned, slow or Byzantine).
	ViewTimedOut ViewChangeReason = iota + 1
	// ViewJoinedTimeouts: f+1 replicas timed out in view To, so at least
	// one correct replica gave up on it; this replica joined them so that
	// a timeout certificate can form.
	ViewJoinedTimeouts
	// ViewSkipped: a QC of view To-1 arrived while this replica was in an
	// earlier view than To-1: it missed at least one whole view (it was
	// partitioned, slow, or restarted).
	ViewSkipped
)

func (r ViewChangeReason) String() string {
	switch r {
	case ViewTimedOut:
		return "timeout certificate"
	case ViewJoinedTimeouts:
		return "joined f+1 timeouts"
	case ViewSkipped:
		return "skipped views"
	default:
		return "unknown"
	}
}

// ViewChange is one view entered other than by normal progress: From is
// the view this replica was in, To the view it entered, Leader the leader
// of view To-1 (the view that failed, for ViewTimedOut).
type ViewChange struct {
	From, To uint64
	Reason   ViewChangeReason
	Leader   uint32
}

// catchUpViews is how far ahead of this replica's view a certificate must
// be, with its block unknown, for the replica to count as catching up
// rather than just having received two messages out of order.
const catchUpViews = 3

// CatchUp describes the start or end of a catch-up: View and Height are
// this replica's view and committed height at that moment; TargetView is
// the certified view that showed it was behind (at the start) or the
// highest certified view it then held (at the end).
type CatchUp struct {
	View, Height, TargetView uint64
}

// noteViewChange records a view change that is not normal progress.
func (c *Core) noteViewChange(from, to uint64, reason ViewChangeReason) {
	ev := &c.rd.Events
	if len(ev.ViewChanges) >= maxViewChangeEvents {
		ev.MoreViewChanges++
		return
	}
	var leader uint32
	if to > 0 {
		leader = c.Leader(to - 1)
	}
	ev.ViewChanges = append(ev.ViewChanges, ViewChange{From: from, To: to, Reason: reason, Leader: leader})
}

// noteBehind starts a catch-up when a certificate of view qcView, whose
// block this replica does not hold, is well ahead of the view it was in
// (from: the certificate may already have moved it forward).
func (c *Core) noteBehind(qcView, from uint64) {
	if c.catchingUp || qcView < from+catchUpViews {
		return
	}
	c.catchingUp = true
	c.rd.Events.CatchUpStarted = &CatchUp{View: from, Height: c.committedHeight, TargetView: qcView}
}

// checkCaughtUp ends a catch-up once the replica holds the block of its
// highest QC and fetches nothing: it has every certified block it knows of.
func (c *Core) checkCaughtUp() {
	if !c.catchingUp || len(c.fetching) > 0 {
		return
	}
	if _, ok := c.blocks[c.qcHash(c.highQC)]; !ok {
		return
	}
	c.catchingUp = false
	c.rd.Events.CatchUpFinished = &CatchUp{View: c.view, Height: c.committedHeight, TargetView: c.highQC.View}
}

// CatchingUp reports whether the core is catching up (see Events).
func (c *Core) CatchingUp() bool { return c.catchingUp }
