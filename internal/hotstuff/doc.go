// Package hotstuff is chained HotStuff with the 2-chain commit of DiemBFT v4
// / Jolteon, as a deterministic state machine with no I/O, no goroutines, no
// clock and no randomness of its own, in the style of etcd's raft.
//
// Inputs are messages from authenticated peers (Step), the passage of time
// (Tick, and the now argument every input carries) and the payload rules
// that fill and judge blocks (PayloadRules). Outputs are collected in a Ready:
// writes to persist, messages to send, blocks committed in order, and the
// time at which the core next wants a Tick. The caller must make the writes
// durable before it sends any of the messages of the same Ready: votes and
// timeouts depend on the synced safety state (last voted view, preferred
// view, highest QC).
//
// Protocol (docs/protocol.md section 3.5). A replica keeps lastVotedView, its highest QC
// and its preferred view: the highest view of a block whose child it has
// seen certified (stored as lockedQC, the QC on that block).
//
//   - Vote for a block B of view v only if v > lastVotedView, B's QC is from a
//     view at least the preferred view, and either that QC is from view v-1
//     or B's proposal carries the TC of view v-1 and B's QC is at least as
//     high as every QC the TC lists. Only the view's leader may propose, once
//     per view; a block that was only fetched is never voted for.
//   - Sign a timeout for view v only with the QC of v-1 (the highest QC) or
//     the TC of v-1. A timeout signs (v, view of the signer's highest QC) and
//     carries that QC, so a TC (2f+1 timeouts) proves how high its signers'
//     QCs were; a TC of v opens view v+1.
//   - Commit b when a QC certifies b' with parent b and b'.view = b.view+1.
//
// Safety, in a few lines. Every correct replica votes at most once per view,
// so two QCs of one view share a correct voter: at most one block per view
// is certified. Let b (view r) commit through QC(b') with b'.view = r+1, and
// let B be certified in a view w > r+1; by induction on w, B extends b. If
// B's QC is from w-1, it certifies a block of view r+1 (that is b') or of a
// view in (r+1, w) (which extends b by induction). Otherwise B carries a TC of
// w-1, whose 2f+1 signers share a correct replica D with the 2f+1 voters of
// b'. D voted for b' (whose justify is QC(b)) before signing its timeout for
// w-1 >= r+1 (a timeout ends its voting in that view), so the QC view it
// signed into the TC is at least r, and B's QC, at least as high, certifies b
// or a block of a view in (r, w) extending b. Two committed blocks are thus on
// one chain. The preferred-view rule adds the lock of DiemBFT (a replica never
// votes below a block it has seen certified with a certified child).
//
// Leaders (leader.go): a function of the view and of the block a proposal
// extends, its ancestors and their QCs, never of a replica's own state, so
// every correct replica that knows the block computes the same leader. The
// default policy, reputation, chooses among replicas active (proposers and QC
// signers) in a window of blocks that the extended block's chain proves
// committed, skips leaders that failed recently, and gives every replica a
// round-robin turn every rotationEvery terms (an inactive replica keeps one
// such turn in inactiveTurnEvery). Votes for a block whose proposer or next
// leader is suspect (inactive or failed) go to every replica, which forms
// the QC itself: a dead next leader costs only its own view, and a replica
// back on its turn cannot have its block's QC withheld. Round robin and a
// fixed leader remain as options. The leaders of views that failed since the chain's last
// commit are skipped at once, so a failed leader loses the rest of its term.
//
// Pacemaker: a view timer runs while work waits. Its base follows the
// measured duration of successful views (bounded), it doubles after each
// failed view and returns to the base as soon as a view succeeds. f+1
// timeouts for a view make a replica join them (when it may sign one), so a
// view change needs only f+1 correct replicas that see work waiting. Work
// that only this replica's rules report, and that no leader turns into a
// block, stops costing timeouts after 2n of them.
//
// Votes for a block of view v go to the leader of v+1, which forms the QC and
// proposes the next block on it: proposals are pipelined, a new block never
// waits for an older one to commit. A leader proposes only when the payload
// rules report pending work or the chain still holds uncommitted payload, so
// an idle cluster sends nothing and keeps no timer armed.
package hotstuff
