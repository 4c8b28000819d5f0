package hotstuff

import (
	"testing"
)

// Events: a replica cut off while the others go on sees, once it is back,
// a catch-up start and then its end; the others report the views that
// timed out because the cut-off replica led them, with it as the failed
// leader, and never a catch-up.
func TestEventsReportTimeoutsAndCatchUp(t *testing.T) {
	c := newCluster(t, 4, func(cfg *Config) { cfg.MaxFetchBlocks = 4 })
	c.lose = func(p *packet) bool { return p.to == 3 || p.from == 3 }
	for item := uint64(1); item <= 8; item++ {
		c.submit([]uint64{item}, 0, 1, 2)
		if !c.run(20*testViewTimeoutUs, func() bool {
			for _, r := range c.nodes[:3] {
				if !r.rules.committedItem(item) {
					return false
				}
			}
			return true
		}) {
			t.Fatalf("item %d not committed by the connected replicas", item)
		}
	}
	c.lose = nil
	c.submit([]uint64{9})
	if !c.run(60*testViewTimeoutUs, func() bool { return c.allCommitted(1, 2, 3, 4, 5, 6, 7, 8, 9) }) {
		t.Fatalf("lagging replica did not catch up: %s", c.nodes[3].core)
	}

	for _, r := range c.nodes[:3] {
		timedOut := false
		for _, ev := range r.events {
			if ev.CatchUpStarted != nil || ev.CatchUpFinished != nil {
				t.Errorf("replica %d reported a catch-up but was never behind: %+v", r.id, ev)
			}
			for _, vc := range ev.ViewChanges {
				if vc.To <= vc.From {
					t.Errorf("replica %d: view change %+v does not move forward", r.id, vc)
				}
				if vc.Reason == ViewTimedOut && vc.Leader == 3 {
					timedOut = true
				}
			}
		}
		if !timedOut {
			t.Errorf("replica %d reported no view that timed out under the cut-off leader 3: %+v", r.id, r.events)
		}
	}

	var started, finished *CatchUp
	for _, ev := range c.nodes[3].events {
		if s := ev.CatchUpStarted; s != nil {
			if started != nil && finished == nil {
				t.Fatalf("catch-up started twice without finishing: %+v", c.nodes[3].events)
			}
			started, finished = s, nil
		}
		if f := ev.CatchUpFinished; f != nil {
			if started == nil {
				t.Fatalf("catch-up finished before it started: %+v", c.nodes[3].events)
			}
			finished = f
		}
	}
	if started == nil || finished == nil {
		t.Fatalf("lagging replica reported catch-up start %+v, end %+v; want both", started, finished)
	}
	if started.TargetView < started.View+catchUpViews {
		t.Errorf("catch-up started %+v: the certificate is not %d views ahead", started, catchUpViews)
	}
	if finished.Height <= started.Height {
		t.Errorf("catch-up ended at height %d, started at %d: nothing caught up", finished.Height, started.Height)
	}
	if c.nodes[3].core.CatchingUp() {
		t.Error("core still catching up after it caught up")
	}
}

// A Ready carries a bounded number of view changes; the rest are counted.
func TestViewChangeEventsBounded(t *testing.T) {
	c := newCluster(t, 4)
	core := c.nodes[0].core
	for v := uint64(0); v < 3*maxViewChangeEvents; v++ {
		core.noteViewChange(v, v+1, ViewTimedOut)
	}
	rd := core.Ready()
	if len(rd.Events.ViewChanges) != maxViewChangeEvents || rd.Events.MoreViewChanges != 2*maxViewChangeEvents {
		t.Fatalf("got %d view changes and %d more, want %d and %d", len(rd.Events.ViewChanges), rd.Events.MoreViewChanges,
			maxViewChangeEvents, 2*maxViewChangeEvents)
	}
	if rd := core.Ready(); !rd.Events.Empty() {
		t.Fatalf("events repeated in the next Ready: %+v", rd.Events)
	}
}
