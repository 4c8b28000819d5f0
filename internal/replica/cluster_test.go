package replica

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/execution"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/mempool"
	"github.com/pompe-bft/pompe/internal/ordering"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
	"github.com/pompe-bft/pompe/pkg/app"
)

// foldApp folds every command into a running hash: replicas that execute
// anything differently end in different states.
type foldApp struct{ state [32]byte }

func (a *foldApp) Execute(_ uint64, cmds []app.Command, _ app.ResultLimits) [][]byte {
	out := make([][]byte, len(cmds))
	for i, c := range cmds {
		h := sha256.New()
		h.Write(a.state[:])
		h.Write(c.Client[:])
		h.Write(binary.BigEndian.AppendUint64(nil, c.Seq))
		h.Write(c.Payload)
		h.Sum(a.state[:0])
		out[i] = append([]byte(nil), a.state[:4]...)
	}
	return out
}

// ErrorResult marks a refused result (app.Application).
func (a *foldApp) ErrorResult(reason string) []byte { return []byte("error: " + reason) }

func (a *foldApp) Snapshot() ([]byte, error) { return append([]byte(nil), a.state[:]...), nil }

func (a *foldApp) Restore(b []byte) error {
	if len(b) != 32 {
		return errors.New("fold app: bad snapshot")
	}
	copy(a.state[:], b)
	return nil
}

// tickStepUs is the fake clock's largest step between deliveries.
const tickStepUs = 2_000

type cmdID struct {
	client crypto.ClientID
	seq    uint64
}

type place struct {
	height   uint64
	position uint32
	index    uint32
}

// testNode is one replica with its store and executor.
type testNode struct {
	id    uint32
	key   crypto.PrivateKey
	store *storage.Mem
	r     *Replica
	exec  *execution.Executor
	app   *foldApp
	up    bool

	log      []runlog.ExecEntry // every entry executed, across restarts
	executed map[place]cmdID
}

type delivery struct {
	from, to uint32
	msg      *wire.Message
}

type clientDelivery struct {
	from uint32
	to   crypto.ClientID
	msg  *wire.ClientMessage
}

// testCluster runs n replicas over a synchronous in-memory network with a
// fake clock: every message is delivered in order, without loss, before
// time moves on.
type testCluster struct {
	t           *testing.T
	mode        Mode
	committee   *crypto.Committee
	nodes       []*testNode
	now         int64
	queue       []delivery
	cqueue      []clientDelivery
	clients     map[crypto.ClientID]*testClient
	clientOrder []*testClient
	verifier    *tsproof.Verifier
}

func newTestCluster(t *testing.T, mode Mode, n int) *testCluster {
	t.Helper()
	c := &testCluster{t: t, mode: mode, now: 1_000_000, clients: map[crypto.ClientID]*testClient{}}
	var pubs []crypto.PublicKey
	for i := range n {
		k, err := crypto.KeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, crypto.SeedBytes))
		if err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, k.Public())
		c.nodes = append(c.nodes, &testNode{id: uint32(i), key: k, store: storage.NewMem(), executed: map[place]cmdID{}})
	}
	com, err := crypto.NewCommittee([]byte("replica-test"), pubs)
	if err != nil {
		t.Fatal(err)
	}
	c.committee = com
	c.verifier = tsproof.NewVerifier(com, 0)
	for _, nd := range c.nodes {
		c.start(nd)
	}
	return c
}

func (c *testCluster) config(nd *testNode) Config {
	return Config{
		ID: nd.id, Committee: c.committee, Key: nd.key, Mode: c.mode,
		Consensus: hotstuff.Config{
			ViewTimeoutUs: 100_000, FixedLeader: -1, FetchRetryUs: 50_000,
			RetentionBlocks: 1000, MemoryBlocks: 32,
		},
		Mempool:  mempool.Config{BlockMaxBatches: 16, FetchRetryUs: 50_000},
		Ordering: ordering.Config{DeltaUs: 3_000, SkewUs: 50_000, WindowUs: 200, FetchRetryUs: 50_000},
	}
}

// start builds (or rebuilds, after a restart) a node's replica and executor
// from its store.
func (c *testCluster) start(nd *testNode) {
	c.t.Helper()
	r, err := New(c.config(nd), nd.store)
	if err != nil {
		c.t.Fatalf("replica %d: %v", nd.id, err)
	}
	nd.app = &foldApp{}
	ex, err := execution.New(execution.Config{SnapshotEveryBlocks: 5}, nd.app, nd.store)
	if err != nil {
		c.t.Fatalf("replica %d executor: %v", nd.id, err)
	}
	nd.r, nd.exec, nd.up = r, ex, true
	if err := r.Resume(ex.Height()); err != nil {
		c.t.Fatalf("replica %d resume: %v", nd.id, err)
	}
	c.flush(nd)
}

// crash stops a node, losing its unsynced writes (executor snapshots).
func (c *testCluster) crash(nd *testNode) {
	nd.up, nd.r, nd.exec = false, nil, nil
	nd.store.Crash()
}

// flush does what a node driver does with a Ready.
func (c *testCluster) flush(nd *testNode) {
	c.t.Helper()
	rd := nd.r.Ready()
	if rd.Violation != nil {
		c.t.Fatalf("replica %d: safety violation: %v", nd.id, rd.Violation)
	}
	if !rd.Writes.Empty() {
		if err := nd.store.Apply(&rd.Writes, true); err != nil {
			c.t.Fatal(err)
		}
	}
	for _, e := range rd.Messages {
		if e.To == hotstuff.Broadcast {
			for _, o := range c.nodes {
				if o.id != nd.id {
					c.queue = append(c.queue, delivery{nd.id, o.id, e.Msg})
				}
			}
		} else {
			c.queue = append(c.queue, delivery{nd.id, uint32(e.To), e.Msg})
		}
	}
	for _, e := range rd.Client {
		c.cqueue = append(c.cqueue, clientDelivery{nd.id, e.To, e.Msg})
	}
	for _, rs := range rd.Resend {
		if m, _, ok := nd.exec.Reply(rs.Client, rs.Digest); ok {
			c.cqueue = append(c.cqueue, clientDelivery{nd.id, rs.Client, m})
		}
	}
	if len(rd.Committed) > 0 {
		res := nd.exec.Execute(rd.Committed)
		if !res.Writes.Empty() {
			if err := nd.store.Apply(&res.Writes, false); err != nil {
				c.t.Fatal(err)
			}
		}
		for _, e := range res.Replies {
			c.cqueue = append(c.cqueue, clientDelivery{nd.id, e.To, e.Msg})
		}
		for _, e := range res.Log {
			p := place{e.Height, e.Position, e.Index}
			id := cmdID{crypto.ClientID(e.Client), e.Seq}
			if old, ok := nd.executed[p]; ok {
				if old != id {
					c.t.Fatalf("replica %d executed %v and later %v at %v", nd.id, old, id, p)
				}
				continue // re-executed after a restart
			}
			nd.executed[p] = id
			nd.log = append(nd.log, e)
		}
	}
}

// hopUs is the network latency: every message sent at time t arrives at
// t+hopUs. Without it a leader proposes at network speed in zero time and
// slot boundaries cannot advance with the clock.
const hopUs = 300

// maxHopsPerStep bounds one deliverAll so that a run that never goes quiet
// still returns to its deadline check.
const maxHopsPerStep = 100

// deliverAll runs the network until it is quiet (or maxHopsPerStep hops).
func (c *testCluster) deliverAll() {
	for hop := 0; hop < maxHopsPerStep && (len(c.queue) > 0 || len(c.cqueue) > 0); hop++ {
		c.now += hopUs
		msgs, cmsgs := c.queue, c.cqueue
		c.queue, c.cqueue = nil, nil
		for _, d := range msgs {
			nd := c.nodes[d.to]
			if !nd.up {
				continue
			}
			_ = nd.r.Step(c.now, d.from, d.msg) // bad input is the sender's problem
			c.flush(nd)
		}
		for _, d := range cmsgs {
			if k, ok := c.clients[d.to]; ok {
				k.deliver(d.from, d.msg)
			}
		}
	}
}

// sendClient hands a client message to replica i.
func (c *testCluster) sendClient(i int, from crypto.ClientID, m *wire.ClientMessage) {
	nd := c.nodes[i]
	if !nd.up {
		return
	}
	_ = nd.r.StepClient(c.now, from, m)
	c.flush(nd)
}

// step moves the clock to the next wake-up (at most tickStepUs away) and
// ticks every replica and client.
func (c *testCluster) step() {
	next := c.now + tickStepUs
	for _, nd := range c.nodes {
		if nd.up {
			if w := nd.r.WakeAt(); w > c.now && w < next {
				next = w
			}
		}
	}
	c.now = next
	for _, nd := range c.nodes {
		if nd.up {
			nd.r.Tick(c.now)
			c.flush(nd)
		}
	}
	for _, k := range c.clientOrder {
		k.tick()
	}
	c.deliverAll()
}

// runUntil steps until cond holds, failing after maxUs of simulated time.
func (c *testCluster) runUntil(maxUs int64, what string, cond func() bool) {
	c.t.Helper()
	deadline := c.now + maxUs
	c.deliverAll()
	for !cond() {
		if c.now > deadline {
			c.t.Fatalf("%s: not reached after %d us simulated; replicas: %s", what, maxUs, c.describe())
		}
		c.step()
	}
}

func (c *testCluster) describe() string {
	s := ""
	for _, nd := range c.nodes {
		if nd.up {
			s += fmt.Sprintf("\n  %d: %d executed; %s", nd.id, len(nd.log), nd.r)
		} else {
			s += fmt.Sprintf("\n  %d: down", nd.id)
		}
	}
	return s
}

// hasExecuted reports whether nd executed every command in want.
func (nd *testNode) hasExecuted(want []cmdID) bool {
	done := make(map[cmdID]bool, len(nd.log))
	for _, e := range nd.log {
		done[cmdID{crypto.ClientID(e.Client), e.Seq}] = true
	}
	for _, id := range want {
		if !done[id] {
			return false
		}
	}
	return true
}

func (c *testCluster) allExecuted(want []cmdID) func() bool {
	return func() bool {
		for _, nd := range c.nodes {
			if nd.up && !nd.hasExecuted(want) {
				return false
			}
		}
		return true
	}
}

// checkSameOrder checks that all replicas executed the same commands at the
// same places, each command once.
func (c *testCluster) checkSameOrder() {
	c.t.Helper()
	ref := c.nodes[0]
	for _, nd := range c.nodes {
		seen := map[cmdID]bool{}
		for _, e := range nd.log {
			id := cmdID{crypto.ClientID(e.Client), e.Seq}
			if seen[id] {
				c.t.Fatalf("replica %d executed %v twice", nd.id, id)
			}
			seen[id] = true
		}
		if len(nd.log) != len(ref.log) {
			c.t.Fatalf("replica %d executed %d commands, replica %d %d", nd.id, len(nd.log), ref.id, len(ref.log))
		}
		for i := range nd.log {
			if nd.log[i] != ref.log[i] {
				c.t.Fatalf("replica %d entry %d = %+v, replica %d has %+v", nd.id, i, nd.log[i], ref.id, ref.log[i])
			}
		}
	}
	var states [][]byte
	for _, nd := range c.nodes {
		s, _ := nd.app.Snapshot()
		states = append(states, s)
		if !bytes.Equal(s, states[0]) {
			c.t.Fatalf("replica %d application state differs from replica 0's", nd.id)
		}
	}
}

// digestOf is a helper for logs.
func digestOf(e runlog.ExecEntry) batch.Digest { return batch.Digest(e.Digest) }
