package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/checker"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/mempool"
	"github.com/pompe-bft/pompe/internal/ordering"
	"github.com/pompe-bft/pompe/internal/replica"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/tsproof"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Result is the outcome of one run.
type Result struct {
	Seed            int64    `json:"seed"`
	Violations      []string `json:"violations,omitempty"`
	Committed       uint64   `json:"committed_height"`
	Submitted       int      `json:"submitted_batches"`
	Accepted        int      `json:"accepted_batches"`
	Retries         int      `json:"retries"`
	Corrupted       int      `json:"corrupted_proposals"`
	Refused         int      `json:"refused_blocks"`
	ViewChanges     int      `json:"view_changes"`
	Messages        int      `json:"messages"`
	SimulatedUs     int64    `json:"simulated_us"`
	MeanLatencyUs   int64    `json:"mean_latency_us"`
	CorrectReplicas int      `json:"correct_replicas"`
	// Fuzz runs: the mutations the fuzz replicas made, by class, the
	// Byzantine clients' actions, and the slowest correct batch after the
	// heal, measured from the later of its submission and the heal.
	Mutations       map[string]int `json:"mutations,omitempty"`
	ByzClientActs   map[string]int `json:"byzantine_client_actions,omitempty"`
	MaxHealedWaitUs int64          `json:"max_healed_wait_us,omitempty"`
}

// OK reports a run without violations.
func (r Result) OK() bool { return len(r.Violations) == 0 }

type acceptedBatch struct {
	client    int
	id        crypto.ClientID
	firstSeq  uint64
	cmds      int
	replicaTS map[uint32][]int64
	digest    batch.Digest
	at        place
	latencyUs int64
	sentAt    int64
	doneAt    int64
}

type cluster struct {
	opts      Options
	rng       *rand.Rand
	s         scheduler
	committee *crypto.Committee
	f         int
	nodes     []*simNode
	clients   []*simClient
	byClient  map[crypto.ClientID]*simClient
	// Byzantine clients of a fuzz run, and every digest some correct
	// replica reported as executed.
	byzClients      map[crypto.ClientID]*byzClient
	executedDigests map[batch.Digest]bool
	healAt          int64
	blocked         [][]bool
	healed          bool

	violations []string
	accepted   []acceptedBatch
	retries    int
	messages   int
	healTop    []uint64
}

func (c *cluster) violate(format string, args ...any) {
	if len(c.violations) < 20 {
		c.violations = append(c.violations, fmt.Sprintf("t=%dus: ", c.s.now)+fmt.Sprintf(format, args...))
	}
}

// Run executes one simulated run.
func Run(opts Options) Result {
	_, r := run(opts)
	return r
}

// run executes one simulated run and hands back the cluster for inspection.
func run(opts Options) (c *cluster, res Result) {
	opts.Defaults()
	c = &cluster{opts: opts, rng: rand.New(rand.NewPCG(uint64(opts.Seed), 0x706f6d7065)), byClient: make(map[crypto.ClientID]*simClient),
		byzClients: make(map[crypto.ClientID]*byzClient), executedDigests: make(map[batch.Digest]bool)}
	res.Seed = opts.Seed
	defer func() {
		if p := recover(); p != nil {
			res.Violations = append(res.Violations, fmt.Sprintf("panic at t=%dus: %v", c.s.now, p))
		}
	}()
	if err := c.setup(); err != nil {
		res.Violations = []string{err.Error()}
		return c, res
	}
	c.scheduleFaults()
	for _, k := range c.clients {
		k.start()
	}
	for _, k := range c.byzClients {
		k.start()
	}
	c.s.at(opts.FaultWindowUs, c.heal)
	for c.s.step(opts.DurationUs) {
	}
	c.s.now = opts.DurationUs
	c.check()
	return c, c.result()
}

func (c *cluster) setup() error {
	n := c.opts.Nodes
	f, err := crypto.FaultsTolerated(n)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if len(c.opts.Byzantine) > f {
		return fmt.Errorf("sim: %d Byzantine replicas exceed f=%d", len(c.opts.Byzantine), f)
	}
	keys := make([]crypto.PrivateKey, n)
	pubs := make([]crypto.PublicKey, n)
	for i := range keys {
		k, err := crypto.GenerateKey(c.rng0())
		if err != nil {
			return err
		}
		keys[i], pubs[i] = k, k.Public()
	}
	cluster := fmt.Appendf(nil, "sim-%d", c.opts.Seed)
	com, err := crypto.NewCommittee(cluster, pubs)
	if err != nil {
		return err
	}
	c.committee, c.f = com, com.F()
	c.blocked = make([][]bool, n)
	for i := range c.blocked {
		c.blocked[i] = make([]bool, n)
	}
	for i := 0; i < n; i++ {
		nd := &simNode{c: c, id: uint32(i), key: keys[i], store: storage.NewMem(),
			commits: make(map[uint64]hotstuff.Hash), executed: make(map[place]cmdID), where: make(map[cmdID]place)}
		// Byzantine replicas are the highest ids, so leaders of every kind occur.
		if b := n - 1 - i; b < len(c.opts.Byzantine) {
			nd.behavior = c.opts.Byzantine[b]
		}
		c.nodes = append(c.nodes, nd)
	}
	var colluders []uint32
	for _, nd := range c.nodes {
		if !nd.correct() {
			colluders = append(colluders, nd.id)
		}
	}
	for _, nd := range c.nodes {
		if !nd.correct() {
			if err := c.misbehave(nd, colluders); err != nil {
				return err
			}
		}
	}
	for _, nd := range c.nodes {
		if err := nd.start(); err != nil {
			return err
		}
	}
	for i := 0; i < c.opts.Clients; i++ {
		k, err := crypto.GenerateKey(c.rng0())
		if err != nil {
			return err
		}
		cl := &simClient{c: c, idx: i, id: crypto.ClientIDOf(k.Public()), key: k, cluster: cluster, open: make(map[batch.Digest]*request), ver: tsproof.NewVerifier(com, 1024)}
		c.clients = append(c.clients, cl)
		c.byClient[cl.id] = cl
	}
	for i := 0; i < c.opts.ByzantineClients; i++ {
		k, err := crypto.GenerateKey(c.rng0())
		if err != nil {
			return err
		}
		bk := &byzClient{c: c, idx: i, id: crypto.ClientIDOf(k.Public()), key: k, ver: tsproof.NewVerifier(com, 1024),
			rng:     rand.New(rand.NewPCG(uint64(c.opts.Seed), 0x62797a<<8|uint64(i))),
			batches: make(map[batch.Digest]*byzBatch), ran: make(map[string]int)}
		c.byzClients[bk.id] = bk
	}
	return nil
}

// rng0 is a reader of seeded bytes for key generation.
func (c *cluster) rng0() *seededReader { return &seededReader{r: c.rng} }

type seededReader struct{ r *rand.Rand }

func (s *seededReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(s.r.Uint32())
	}
	return len(p), nil
}

func (c *cluster) replicaConfig(id uint32, key crypto.PrivateKey) replica.Config {
	return replica.Config{
		ID:        id,
		Committee: c.committee,
		Key:       key,
		Mode:      c.opts.Mode,
		Consensus: hotstuff.Config{
			ViewTimeoutUs:    c.opts.ViewTimeoutUs,
			ViewTimeoutMaxUs: 8 * c.opts.ViewTimeoutUs,
			FixedLeader:      -1,
			FetchRetryUs:     100_000,
			RetentionBlocks:  2000,
			MemoryBlocks:     64,
		},
		Mempool: mempool.Config{BlockMaxBatches: 64},
		Ordering: ordering.Config{DeltaUs: 2 * c.opts.MaxDelayUs, SkewUs: 50_000, FetchRetryUs: 100_000,
			// As the node's default: at most one signed window per WindowUs.
			WindowUs: max(1, c.opts.MaxDelayUs/4)},
	}
}

// ------------------------------------------------------------------ network

func (c *cluster) delay() int64 {
	return c.opts.MinDelayUs + c.rng.Int64N(c.opts.MaxDelayUs-c.opts.MinDelayUs+1)
}

// lossy decides drop and duplication for one transmission.
func (c *cluster) lossy() (drop, dup bool) {
	if c.healed {
		return false, false
	}
	return c.rng.Float64() < c.opts.DropRate, c.rng.Float64() < c.opts.DupRate
}

func (c *cluster) sendFromReplica(from *simNode, to int, m *wire.Message) {
	if to == hotstuff.Broadcast {
		for i := range c.nodes {
			if uint32(i) != from.id {
				c.transmit(from, uint32(i), m)
			}
		}
		return
	}
	c.transmit(from, uint32(to), m)
}

func (c *cluster) transmit(from *simNode, to uint32, m *wire.Message) {
	for _, out := range from.outgoing(to, m) {
		if out.To == from.id || int(out.To) >= len(c.nodes) {
			continue
		}
		c.transmitLater(from.id, out.To, wire.Marshal(out.Msg), out.DelayUs)
	}
}

// transmitBytes carries encoded bytes; the receiver decodes them as the
// real transport does, and drops what does not decode.
func (c *cluster) transmitBytes(from, to uint32, raw []byte) { c.transmitLater(from, to, raw, 0) }

// transmitLater is transmitBytes with extraUs added to the network delay
// (a Byzantine sender holding a message back).
func (c *cluster) transmitLater(from, to uint32, raw []byte, extraUs int64) {
	if c.blocked[from][to] {
		return
	}
	drop, dup := c.lossy()
	if drop {
		return
	}
	copies := 1
	if dup {
		copies = 2
	}
	dst := c.nodes[to]
	for i := 0; i < copies; i++ {
		c.messages++
		life := dst.life
		c.s.after(c.delay()+extraUs, func() {
			if dst.life != life {
				return
			}
			m, err := wire.DecodeMessage(raw)
			if err != nil {
				return
			}
			dst.deliver(from, m)
		})
	}
}

func (c *cluster) sendFromClient(k *simClient, to uint32, m *wire.ClientMessage) {
	c.sendRawFromClient(k.id, to, wire.Marshal(m))
}

// sendRawFromClient carries an encoded client message to replica to over
// the client's authenticated channel.
func (c *cluster) sendRawFromClient(from crypto.ClientID, to uint32, raw []byte) {
	dst := c.nodes[to]
	if drop, _ := c.lossy(); drop {
		return
	}
	c.messages++
	c.s.after(c.delay(), func() {
		mm, err := wire.DecodeClientMessage(raw)
		if err == nil {
			dst.deliverClient(from, mm)
		}
	})
}

func (c *cluster) sendToClient(from uint32, to crypto.ClientID, m *wire.ClientMessage) {
	if byz := c.nodes[from].byz; byz != nil {
		if m = byz.Client(to, m); m == nil {
			return
		}
	}
	if mut := c.nodes[from].mut; mut != nil {
		if m = mut.Client(to, m); m == nil {
			return
		}
	}
	if ex := m.GetExecuted(); ex != nil && c.nodes[from].correct() {
		if d, err := batch.DigestFromBytes(ex.Digest); err == nil {
			c.executedDigests[d] = true
		}
	}
	if bk, ok := c.byzClients[to]; ok {
		c.toByzClient(from, bk, m)
		return
	}
	k, ok := c.byClient[to]
	if !ok {
		return
	}
	if drop, _ := c.lossy(); drop {
		return
	}
	raw := wire.Marshal(m)
	c.messages++
	c.s.after(c.delay(), func() {
		mm, err := wire.DecodeClientMessage(raw)
		if err == nil {
			k.deliver(from, mm)
		}
	})
}

// ------------------------------------------------------------------- faults

func (c *cluster) scheduleFaults() {
	w := c.opts.FaultWindowUs
	var correct []*simNode
	for _, nd := range c.nodes {
		if nd.correct() {
			correct = append(correct, nd)
		}
	}
	for i := 0; i < c.opts.Crashes && len(correct) > 0; i++ {
		nd := correct[c.rng.IntN(len(correct))]
		at := c.rng.Int64N(w * 3 / 4)
		down := 200_000 + c.rng.Int64N(w/4)
		c.s.at(at, func() {
			if nd.up {
				nd.crash()
				c.s.after(down, func() {
					if err := nd.start(); err != nil {
						c.violate("restart: %v", err)
					}
				})
			}
		})
	}
	for i := 0; i < c.opts.Partitions; i++ {
		at := c.rng.Int64N(w * 3 / 4)
		length := 300_000 + c.rng.Int64N(w/4)
		side := make([]bool, len(c.nodes))
		for j := range side {
			side[j] = c.rng.IntN(2) == 0
		}
		c.s.at(at, func() { c.partition(side, true) })
		c.s.at(at+length, func() { c.partition(side, false) })
	}
}

func (c *cluster) partition(side []bool, on bool) {
	if c.healed {
		return
	}
	for i := range side {
		for j := range side {
			if side[i] != side[j] {
				c.blocked[i][j] = on
			}
		}
	}
}

// heal ends the fault window: no more loss, duplication or partitions, and
// crashed replicas come back.
func (c *cluster) heal() {
	c.healed = true
	c.healAt = c.s.now
	for i := range c.blocked {
		clear(c.blocked[i])
	}
	for _, nd := range c.nodes {
		if !nd.up {
			if err := nd.start(); err != nil {
				c.violate("restart at heal: %v", err)
			}
		}
	}
	c.healTop = make([]uint64, len(c.nodes))
	for i, nd := range c.nodes {
		c.healTop[i] = nd.top
	}
}

// ------------------------------------------------------------------- checks

func (c *cluster) check() {
	// Consistency of commits and executions across correct replicas.
	commits := make(map[uint64]hotstuff.Hash)
	places := make(map[place]cmdID)
	for _, nd := range c.nodes {
		if !nd.correct() {
			continue
		}
		for h, hash := range nd.commits {
			if old, ok := commits[h]; ok && old != hash {
				c.violate("replicas committed different blocks at height %d", h)
			}
			commits[h] = hash
		}
		for p, id := range nd.executed {
			if old, ok := places[p]; ok && old != id {
				c.violate("replicas executed different commands at %v", p)
			}
			places[p] = id
		}
	}
	// Liveness: every submitted batch accepted, and executed by every correct
	// replica (a replica may lag by empty blocks only).
	for _, nd := range c.nodes {
		if !nd.correct() {
			continue
		}
		missing := 0
		for _, a := range c.accepted {
			for s := a.firstSeq; s < a.firstSeq+uint64(a.cmds); s++ {
				if _, ok := nd.where[cmdID{a.id, s}]; !ok {
					missing++
				}
			}
		}
		if missing > 0 {
			c.violate("liveness: replica %d did not execute %d accepted commands", nd.id, missing)
		}
	}
	if c.opts.Mode == replica.ModePompe {
		c.checkOrdering()
	}
	for _, k := range c.clients {
		if len(k.open) > 0 {
			ds := make([]string, 0, len(k.open))
			var lost []string
			for d, r := range k.open {
				if d != r.d {
					continue // an earlier attempt of an open batch
				}
				ds = append(ds, d.Short())
				if r.seqAt != 0 {
					lost = append(lost, d.Short())
				}
			}
			slices.Sort(ds)
			slices.Sort(lost)
			c.violate("liveness: client %d has %d batches never executed (%v)", k.idx, len(ds), ds)
			if len(lost) > 0 {
				c.violate("lost: client %d has %d batches sequenced (2f+1 acks) but never executed (%v)", k.idx, len(lost), lost)
			}
		}
	}
	c.checkFuzz()
}

// checkFuzz holds a run to the fuzz oracles beyond the ones every run has:
// the liveness bound after the heal, and no batch that f+1 correct
// replicas acked lost, whichever client sequenced it.
func (c *cluster) checkFuzz() {
	if bound := c.opts.LivenessBoundUs; bound > 0 {
		late := 0
		var worst acceptedBatch
		for _, a := range c.accepted {
			if a.doneAt-max(a.sentAt, c.healAt) > bound {
				late++
				if a.doneAt-max(a.sentAt, c.healAt) > worst.doneAt-max(worst.sentAt, c.healAt) {
					worst = a
				}
			}
		}
		if late > 0 {
			c.violate("liveness bound: %d batches of correct clients executed more than %dus after the later of their submission and the heal at %dus (worst: client %d batch %s sent at %dus, executed at %dus)",
				late, bound, c.healAt, worst.client, worst.digest.Short(), worst.sentAt, worst.doneAt)
		}
	}
	for _, k := range c.byzClients {
		var lost []string
		for _, d := range k.order {
			if b := k.batches[d]; b.ackedAt != 0 && !c.executedDigests[d] {
				lost = append(lost, d.Short())
			}
		}
		if len(lost) > 0 {
			c.violate("lost: %d batches of Byzantine client %d acked by f+1 correct replicas never executed (%v)", len(lost), k.idx, lost)
		}
	}
}

func (c *cluster) result() Result {
	r := Result{Seed: c.opts.Seed, Violations: c.violations, Retries: c.retries, Messages: c.messages, SimulatedUs: c.s.now}
	for _, n := range c.nodes {
		if n.byz != nil {
			r.Corrupted += n.byz.Corrupted()
		}
	}
	for _, nd := range c.nodes {
		if nd.correct() {
			r.CorrectReplicas++
			r.Refused += nd.refused
			r.ViewChanges += nd.tcs
			if nd.top > r.Committed {
				r.Committed = nd.top
			}
		}
	}
	for _, k := range c.clients {
		r.Submitted += k.sent
	}
	r.Accepted = len(c.accepted)
	var sum int64
	for _, a := range c.accepted {
		sum += a.latencyUs
		if c.healed {
			r.MaxHealedWaitUs = max(r.MaxHealedWaitUs, a.doneAt-max(a.sentAt, c.healAt))
		}
	}
	for _, nd := range c.nodes {
		if nd.mut != nil {
			if r.Mutations == nil {
				r.Mutations = make(map[string]int)
			}
			for k, v := range nd.mut.Counts() {
				r.Mutations[string(k)] += v
			}
		}
	}
	for _, k := range c.byzClients {
		if r.ByzClientActs == nil {
			r.ByzClientActs = make(map[string]int)
		}
		for a, v := range k.ran {
			r.ByzClientActs[a] += v
		}
	}
	if r.Accepted > 0 {
		r.MeanLatencyUs = sum / int64(r.Accepted)
	}
	return r
}

// checkOrdering checks ordering linearizability (docs/protocol.md section 1,
// property 3) over the execution order of the correct replica that executed
// most: no command may execute after another whose lowest correct timestamp
// is above its own highest correct timestamp.
func (c *cluster) checkOrdering() {
	var ref *simNode
	for _, nd := range c.nodes {
		if nd.correct() && (ref == nil || len(nd.executed) > len(ref.executed)) {
			ref = nd
		}
	}
	if ref == nil {
		return
	}
	bounds := make(map[cmdID][2]uint64)
	for _, a := range c.accepted {
		lo, hi := uint64(1<<63), uint64(0)
		for rep, tss := range a.replicaTS {
			if !c.nodes[rep].correct() {
				continue
			}
			for _, ts := range tss {
				lo, hi = min(lo, uint64(ts)), max(hi, uint64(ts))
			}
		}
		if hi == 0 {
			continue
		}
		for s := a.firstSeq; s < a.firstSeq+uint64(a.cmds); s++ {
			bounds[cmdID{a.id, s}] = [2]uint64{lo, hi}
		}
	}
	places := make([]place, 0, len(ref.executed))
	for p := range ref.executed {
		places = append(places, p)
	}
	slices.SortFunc(places, func(a, b place) int {
		switch {
		case a.height != b.height:
			return cmpU64(a.height, b.height)
		case a.position != b.position:
			return cmpU64(uint64(a.position), uint64(b.position))
		default:
			return cmpU64(uint64(a.index), uint64(b.index))
		}
	})
	var timed []checker.TimedCommand
	for _, p := range places {
		id := ref.executed[p]
		b, ok := bounds[id]
		if !ok {
			continue
		}
		timed = append(timed, checker.TimedCommand{MinTsUs: b[0], MaxTsUs: b[1], Entry: int64(len(timed))})
	}
	if rep := checker.CheckOrdering(timed, 3); rep.Violations > 0 {
		c.violate("ordering linearizability: %d commands executed after a command with higher correct timestamps (%+v)", rep.Violations, rep.Examples)
	}
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
