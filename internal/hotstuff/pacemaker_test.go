package hotstuff

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/wire"
)

// docs/protocol.md section 3.5: "a leader that stalls ... is replaced by a view change";
// the TC of view v opens view v+1, and leader.go skips the leaders of the
// failed views, so the silent leader's term passes to the next replica.
func TestSilentLeaderIsReplacedThroughTC(t *testing.T) {
	c := newCluster(t, 4)
	c.nodes[0].down = true
	c.lose = func(p *packet) bool { return p.from == 0 || p.to == 0 }
	c.submit([]uint64{1}, 1, 2, 3)
	if !c.run(20*testViewTimeoutUs, func() bool { return c.allCommitted(1) }) {
		t.Fatal("item not committed after the leader of view 1 fell silent")
	}
	for _, i := range []uint32{1, 2, 3} {
		ts := c.sentOf(and(isKind("timeout"), fromReplica(i)))
		if len(ts) == 0 || ts[0].msg().GetTimeout().View != 1 {
			t.Fatalf("replica %d sent no timeout for view 1", i)
		}
	}
	props := c.sentOf(isKind("proposal"))
	if len(props) == 0 {
		t.Fatal("no proposal")
	}
	first := props[0].msg().GetProposal()
	if first.Block.View != 2 || props[0].from != 1 {
		t.Fatalf("first proposal: view %d from %d, want view 2 from replica 1", first.Block.View, props[0].from)
	}
	if first.Tc == nil || first.Tc.View != 1 {
		t.Fatalf("view-2 proposal carries TC %v, want the TC of view 1", first.Tc)
	}
}

// doc.go: "f+1 timeouts for a view make a replica join them, so that a view
// change needs only f+1 correct replicas that see work waiting".
func TestFPlusOneTimeoutsMakeAReplicaJoin(t *testing.T) {
	t.Run("current view", func(t *testing.T) {
		c := newCluster(t, 4)
		if w := c.nodes[3].core.WakeAt(); w != 0 {
			t.Fatalf("idle replica armed a timer at %d", w)
		}
		rd, err := c.stepOne(3, 1, c.timeout(1, 1, nil))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(timeoutsIn(rd)); n != 0 {
			t.Fatal("joined a view change on one timeout (f = 1)")
		}
		rd, err = c.stepOne(3, 2, c.timeout(2, 1, nil))
		if err != nil {
			t.Fatal(err)
		}
		ts := timeoutsIn(rd)
		if len(ts) != 1 || ts[0].View != 1 || ts[0].Voter != 3 {
			t.Fatalf("timeouts %v after f+1 for view 1, want replica 3's own for view 1", ts)
		}
		// Its own timeout completes 2f+1: a TC that opens view 2, sent to all.
		if v := c.nodes[3].core.View(); v != 2 {
			t.Fatalf("view %d after 2f+1 timeouts for view 1, want 2", v)
		}
		var tc *wire.TimeoutCert
		for _, e := range rd.Messages {
			if s := e.Msg.GetSync(); s != nil && s.Tc != nil {
				tc = s.Tc
			}
		}
		if tc == nil || tc.View != 1 {
			t.Fatalf("no TC for view 1 broadcast (got %v)", tc)
		}
	})
	t.Run("higher view", func(t *testing.T) {
		c := newCluster(t, 4)
		tc8 := c.tc(8, 0, 1, 2)
		for _, from := range []uint32{1, 2} {
			m := c.timeout(from, 9, nil)
			m.GetTimeout().Tc = tc8 // how the senders entered view 9
			if _, err := c.stepOne(3, from, m); err != nil {
				t.Fatal(err)
			}
		}
		core := c.nodes[3].core
		if core.View() != 10 {
			t.Fatalf("view %d after joining view 9's change and forming its TC, want 10", core.View())
		}
		if core.lastVoted < 9 {
			t.Fatalf("lastVoted %d after timing out in view 9", core.lastVoted)
		}
	})
	// docs/protocol.md section 3.5: "Sign a timeout for view v only if the highest QC is
	// from view v-1 or the replica holds a timeout certificate of view v-1".
	t.Run("no timeout for a view entered without its certificate", func(t *testing.T) {
		c := newCluster(t, 4)
		for _, from := range []uint32{1, 2} {
			rd, err := c.stepOne(3, from, c.timeout(from, 9, nil))
			if err != nil {
				t.Fatal(err)
			}
			if ts := timeoutsIn(rd); len(ts) != 0 {
				t.Fatalf("signed timeouts %v holding neither QC(8) nor TC(8)", ts)
			}
		}
		if v := c.nodes[3].core.View(); v != 1 {
			t.Fatalf("view %d, want 1: f+1 timeouts alone open no view", v)
		}
	})
	t.Run("f timeouts from a higher view do not move a replica", func(t *testing.T) {
		c := newCluster(t, 7) // f = 2
		for _, from := range []uint32{1, 2} {
			if _, err := c.stepOne(3, from, c.timeout(from, 9, nil)); err != nil {
				t.Fatal(err)
			}
		}
		if v := c.nodes[3].core.View(); v != 1 {
			t.Fatalf("view %d after f timeouts for view 9, want 1", v)
		}
	})
}

func timeoutsIn(rd Ready) []*wire.Timeout {
	var out []*wire.Timeout
	for _, e := range rd.Messages {
		if t := e.Msg.GetTimeout(); t != nil {
			out = append(out, t)
		}
	}
	return out
}

// Config.ViewTimeoutUs: the timeout "doubles after each consecutive failed
// view, up to ViewTimeoutMaxUs, and returns to the base as soon as a view
// succeeds"; before any view was measured the base is ViewTimeoutUs.
func TestViewTimerBacksOffExponentiallyAndResetsOnCommit(t *testing.T) {
	c := newCluster(t, 4)
	c.lose = isKind("proposal")
	c.submit([]uint64{1})
	r := c.nodes[1]
	type step struct{ view, timeoutUs uint64 }
	var got []step
	lastView := uint64(0)
	for len(got) < 6 {
		c.deliverAll()
		if v := r.core.View(); v != lastView {
			got = append(got, step{v, uint64(r.core.WakeAt() - c.now)})
			lastView = v
		}
		w := c.nextWake()
		if w == 0 {
			t.Fatal("no timer armed while work is pending")
		}
		c.advance(w - c.now)
	}
	T := uint64(testViewTimeoutUs)
	want := []step{{1, T}, {2, 2 * T}, {3, 4 * T}, {4, 8 * T}, {5, 8 * T}, {6, 8 * T}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("view timers %v, want %v", got, want)
		}
	}
	c.lose = nil
	if !c.run(200*testViewTimeoutUs, func() bool { return c.allCommitted(1) }) {
		t.Fatal("no commit once proposals get through")
	}
	// The views that succeeded took no time in this network: the base is
	// now the floor, and not doubled.
	if got, want := r.core.viewTimeout(), r.core.cfg.ViewTimeoutMinUs; got != want {
		t.Fatalf("view timeout %d after a commit, want the measured base %d", got, want)
	}
}

// docs/protocol.md section 3.5 / issue 13 item 3: the view timeout follows measured view
// durations (bounded) and does not stay doubled once a view succeeds.
func TestViewTimeoutFollowsMeasuredViews(t *testing.T) {
	c, bs, qcs := votingFixture(t)
	r := c.nodes[3]
	r.rules.submit(100) // work: the timer runs
	r.core.Poke(c.now)
	c.collect(r)
	if got := r.core.viewTimeout(); got != testViewTimeoutUs {
		t.Fatalf("timeout %d before any view was measured, want ViewTimeoutUs %d", got, testViewTimeoutUs)
	}
	// View 1 takes 100 ms: from its timer to the QC that closes it.
	c.now += 50_000
	c.stepOne(3, 0, c.proposal(bs[1], nil))
	c.now += 50_000
	c.stepOne(3, 0, c.proposal(bs[2], nil))
	if got, want := r.core.viewTimeout(), int64(viewTimeoutFactor*100_000); got != want {
		t.Fatalf("timeout %d after a 100 ms view, want %d", got, want)
	}
	// View 2 fails: doubled.
	c.advance(r.core.WakeAt() - c.now)
	if got, want := r.core.viewTimeout(), int64(2*viewTimeoutFactor*100_000); got != want {
		t.Fatalf("timeout %d after a failed view, want %d", got, want)
	}
	// A QC for the view after the failed leader: back to the base at once.
	c.stepOne(3, 1, c.proposal(c.block(1, 4, bs[3], qcs[3], nil), nil))
	if got, want := r.core.viewTimeout(), int64(viewTimeoutFactor*100_000); got != want {
		t.Fatalf("timeout %d once a view succeeded again, want %d", got, want)
	}
	// Bounded: a very slow view cannot raise the base above ViewTimeoutUs,
	// and fast ones cannot push it under ViewTimeoutMinUs.
	r.core.viewAvgUs = 10 * testViewTimeoutUs
	if got := r.core.baseTimeout(); got != testViewTimeoutUs {
		t.Fatalf("base %d with 10 s views, want the cap %d", got, testViewTimeoutUs)
	}
	r.core.viewAvgUs = 1
	if got := r.core.baseTimeout(); got != r.core.cfg.ViewTimeoutMinUs {
		t.Fatalf("base %d with 1 us views, want the floor %d", got, r.core.cfg.ViewTimeoutMinUs)
	}
}

// doc.go: "an idle cluster sends nothing and keeps no timer armed".
func TestIdleClusterIsQuiet(t *testing.T) {
	t.Run("from the start", func(t *testing.T) {
		c := newCluster(t, 4)
		for _, r := range c.nodes {
			r.core.Poke(c.now)
			c.collect(r)
		}
		c.advance(100 * testViewTimeoutUs)
		if len(c.sent) != 0 || c.nextWake() != 0 {
			t.Fatalf("idle cluster sent %d messages, next wake %d", len(c.sent), c.nextWake())
		}
	})
	t.Run("after the work is committed", func(t *testing.T) {
		c := newCluster(t, 4)
		c.submit([]uint64{1, 2})
		if !c.run(20*testViewTimeoutUs, func() bool { return c.allCommitted(1, 2) }) {
			t.Fatal("items not committed")
		}
		c.submit([]uint64{3})
		if !c.run(20*testViewTimeoutUs, func() bool { return c.allCommitted(3) }) {
			t.Fatal("item 3 not committed")
		}
		// Let the chain settle: the leader adds a few empty blocks so that the
		// others commit, then every timer that is still armed fires once with
		// nothing to do and disarms.
		if c.run(100*testViewTimeoutUs, func() bool { return false }) {
			t.Fatal("unreachable")
		}
		for _, r := range c.nodes {
			if w := r.core.WakeAt(); w != 0 {
				t.Fatalf("replica %d still wants a tick at %d (now %d): %s", r.id, w, c.now, r.core)
			}
		}
		sent := len(c.sent)
		for i := 0; i < 10; i++ {
			c.advance(10 * testViewTimeoutUs)
			for _, r := range c.nodes {
				r.core.Tick(c.now)
				c.collect(r)
			}
		}
		if len(c.sent) != sent || len(c.queue) != 0 {
			t.Fatalf("quiet cluster sent %d more messages", len(c.sent)-sent)
		}
		// Settling took a bounded number of empty blocks.
		for _, r := range c.nodes {
			if h := r.core.CommittedHeight(); h > 12 {
				t.Fatalf("replica %d committed %d blocks for 3 items", r.id, h)
			}
		}
	})
}

// doc.go: a leader keeps proposing while "the chain still holds uncommitted
// payload"; core.commit: a leader that commits payload with a QC it formed
// proposes once more so that the others commit too. In a timely network
// without faults no replica should ever time out a correct leader.
func TestNoViewChangeAfterABurstInATimelyNetwork(t *testing.T) {
	c := newCluster(t, 4)
	for item := uint64(1); item <= 3; item++ {
		c.submit([]uint64{item})
		if !c.run(20*testViewTimeoutUs, func() bool { return c.allCommitted(item) }) {
			t.Fatalf("item %d not committed", item)
		}
		// Settle: every timer fires or disarms.
		c.run(100*testViewTimeoutUs, func() bool { return false })
		if ts := c.sentOf(isKind("timeout")); len(ts) > 0 {
			v := ts[0].msg().GetTimeout().View
			t.Fatalf("after item %d: %d timeouts (first by replica %d for view %d) with a correct leader and no faults",
				item, len(ts), ts[0].from, v)
		}
	}
}

// A replica whose timeout names a view the receiver already left is told
// how to catch up (the receiver's high QC and last TC).
func TestStaleTimeoutIsAnsweredWithSync(t *testing.T) {
	c, bs, qcs := votingFixture(t)
	for v := 1; v <= 3; v++ {
		if _, err := c.stepOne(3, 0, c.proposal(bs[v], nil)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.stepOne(3, 1, c.proposal(c.block(1, 4, bs[3], qcs[3], nil), nil)); err != nil {
		t.Fatal(err)
	}
	rd, err := c.stepOne(3, 1, c.timeout(1, 2, qcs[1]))
	if err != nil {
		t.Fatal(err)
	}
	var sync *wire.Sync
	for _, e := range rd.Messages {
		if s := e.Msg.GetSync(); s != nil && e.To == 1 {
			sync = s
		}
	}
	if sync == nil || sync.HighQc.GetView() != 3 {
		t.Fatalf("sync %v, want one carrying QC(3) to replica 1", sync)
	}
	// And the laggard moves on with it.
	if _, err := c.stepOne(1, 3, &wire.Message{Body: &wire.Message_Sync{Sync: sync}}); err != nil {
		t.Fatal(err)
	}
	if v := c.nodes[1].core.View(); v != 4 {
		t.Fatalf("laggard at view %d after sync, want 4", v)
	}
}
