package sim

import (
	"fmt"

	"github.com/pompe-bft/pompe/internal/byzantine"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/execution"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/replica"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

type place struct {
	height   uint64
	position uint32
	index    uint32
}

type cmdID struct {
	client crypto.ClientID
	seq    uint64
}

// simNode is one replica with its simulated disk and what the checker
// needs to remember about it across crashes.
type simNode struct {
	c        *cluster
	id       uint32
	key      crypto.PrivateKey
	behavior Behavior
	store    *storage.Mem
	r        *replica.Replica
	exec     *execution.Executor
	up       bool
	life     int   // incarnation; events of a dead incarnation are void
	tickAt   int64 // earliest scheduled wake-up (0: none)

	byz       *byzantine.Transformer // a fixed misbehaviour, or nil
	mut       *byzantine.Mutator     // a fuzz replica's mutator, or nil
	refused   int                    // blocks refused as invalid, all incarnations
	refusedAt int                    // the current core's count already added
	tcs       int                    // timeout certificates adopted, all incarnations
	tcsAt     int

	commits  map[uint64]hotstuff.Hash // every commit ever reported, across crashes
	executed map[place]cmdID
	where    map[cmdID]place
	top      uint64 // highest committed height
}

func (n *simNode) correct() bool { return n.behavior == "" }

func (n *simNode) start() error {
	cfg := n.c.replicaConfig(n.id, n.key)
	r, err := replica.New(cfg, n.store)
	if err != nil {
		return fmt.Errorf("replica %d: %w", n.id, err)
	}
	ex, err := execution.New(execution.Config{SnapshotEveryBlocks: 50}, newSimApp(), n.store)
	if err != nil {
		return fmt.Errorf("replica %d: executor: %w", n.id, err)
	}
	n.r, n.exec, n.up = r, ex, true
	n.refusedAt, n.tcsAt = 0, 0
	n.life++
	n.tickAt = 0
	// Re-execute what committed above the newest execution snapshot.
	if err := r.Resume(ex.Height()); err != nil {
		return fmt.Errorf("replica %d: resume: %w", n.id, err)
	}
	n.flush()
	n.scheduleTick(n.c.s.now + tickPeriodUs)
	return nil
}

func (n *simNode) crash() {
	n.up = false
	n.life++
	n.r, n.exec = nil, nil
	n.store.Crash()
}

// tickPeriodUs is a coarse periodic tick on top of the wake-ups the replica
// asks for.
const tickPeriodUs = 50_000

func (n *simNode) scheduleTick(at int64) {
	if n.tickAt != 0 && n.tickAt <= at && n.tickAt >= n.c.s.now {
		return
	}
	n.tickAt = at
	life := n.life
	n.c.s.at(at, func() {
		if !n.up || n.life != life || n.tickAt != at {
			return
		}
		n.tickAt = 0
		n.r.Tick(n.c.s.now)
		n.flush()
		if n.tickAt == 0 {
			n.scheduleTick(n.c.s.now + tickPeriodUs)
		}
	})
}

func (n *simNode) deliver(from uint32, m *wire.Message) {
	if !n.up {
		return
	}
	if n.mut != nil {
		for _, e := range n.mut.In(from, m) {
			n.c.transmitLater(n.id, e.To, wire.Marshal(e.Msg), e.DelayUs)
		}
	}
	if n.byz != nil {
		for _, e := range n.byz.In(from, m) {
			n.c.transmitBytes(n.id, e.To, wire.Marshal(e.Msg))
		}
	}
	_ = n.r.Step(n.c.s.now, from, m)
	n.flush()
}

func (n *simNode) deliverClient(from crypto.ClientID, m *wire.ClientMessage) {
	if !n.up {
		return
	}
	_ = n.r.StepClient(n.c.s.now, from, m)
	n.flush()
}

// flush does what a node does with a Ready: persist, send, execute.
func (n *simNode) flush() {
	rd := n.r.Ready()
	if rd.Violation != nil && n.correct() {
		n.c.violate("replica %d: %v", n.id, rd.Violation)
	}
	if !rd.Writes.Empty() {
		if err := n.store.Apply(&rd.Writes, true); err != nil {
			n.c.violate("replica %d: storage: %v", n.id, err)
		}
	}
	for _, e := range rd.Messages {
		n.c.sendFromReplica(n, e.To, e.Msg)
	}
	for _, e := range rd.Client {
		n.c.sendToClient(n.id, e.To, e.Msg)
	}
	for _, rs := range rd.Resend {
		if m, _, ok := n.exec.Reply(rs.Client, rs.Digest); ok {
			n.c.sendToClient(n.id, rs.Client, m)
		}
	}
	if len(rd.Committed) > 0 {
		res := n.exec.Execute(rd.Committed)
		if !res.Writes.Empty() {
			_ = n.store.Apply(&res.Writes, false) // snapshots need no sync: replay covers a lost one
		}
		for _, e := range res.Replies {
			n.c.sendToClient(n.id, e.To, e.Msg)
		}
		n.record(res)
		for _, b := range rd.Committed {
			n.noteCommit(b.Height, b.Hash)
		}
	}
	if k := n.r.Core().Refused(); k > n.refusedAt {
		n.refused += k - n.refusedAt
		n.refusedAt = k
	}
	if k := n.r.Core().ViewChanges(); k > n.tcsAt {
		n.tcs += k - n.tcsAt
		n.tcsAt = k
	}
	if w := n.r.WakeAt(); w > 0 {
		n.scheduleTick(w)
	}
}

func (n *simNode) noteCommit(h uint64, hash hotstuff.Hash) {
	if old, ok := n.commits[h]; ok && old != hash && n.correct() {
		n.c.violate("replica %d committed %s and later %s at height %d", n.id, old, hash, h)
	}
	n.commits[h] = hash
	if h > n.top {
		n.top = h
	}
}

func (n *simNode) record(res execution.Result) {
	for _, e := range res.Log {
		p := place{e.Height, e.Position, e.Index}
		id := cmdID{crypto.ClientID(e.Client), e.Seq}
		if old, ok := n.executed[p]; ok && old != id && n.correct() {
			n.c.violate("replica %d executed two commands at %v", n.id, p)
		}
		if old, ok := n.where[id]; ok && old != p && n.correct() {
			n.c.violate("replica %d executed command %v twice (%v and %v)", n.id, id, old, p)
		}
		n.executed[p] = id
		n.where[id] = p
	}
}
