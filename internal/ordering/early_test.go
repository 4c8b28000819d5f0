package ordering

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

// Timestamp replies leave early; the Ready that raises the high-water mark
// is a barrier, so they never leave before the mark covering them is
// durable. Only a raise marks a barrier.
func TestTimestampRepliesEarlyBehindTheMark(t *testing.T) {
	h := newHarness(t, 4, 1)
	id := h.clientID(0)
	for i, wantBarrier := range []bool{true, false, false} {
		raw := h.newBatch(0, uint64(i+1))
		h.now += 10
		if err := h.ords[0].StepClient(h.now, id, &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: raw}}}); err != nil {
			t.Fatal(err)
		}
		h.ords[0].Flush()
		o := h.drain(0)
		if o.Barrier != wantBarrier {
			t.Fatalf("request %d: barrier %v, want %v", i, o.Barrier, wantBarrier)
		}
		if len(o.Client) != 1 || !o.Client[0].Early || o.Client[0].Msg.GetTimestampReply() == nil {
			t.Fatalf("request %d: want one early timestamp reply, got %+v", i, o.Client)
		}
		h.persist(0, &o.Writes)
	}
}

// Carries, which reads only the top level of a slot, agrees with a full
// decode on every well-formed slot, and refuses what does not parse.
func TestCarriesAgreesWithDecode(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := &wire.Slot{Boundary: rapid.Int64().Draw(t, "boundary")}
		for i := rapid.IntRange(0, 3).Draw(t, "batches"); i > 0; i-- {
			s.Batches = append(s.Batches, &wire.SlotBatch{Digest: rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "d"), Ts: rapid.Int64().Draw(t, "ts")})
		}
		for i := rapid.IntRange(0, 2).Draw(t, "roots"); i > 0; i-- {
			s.Roots = append(s.Roots, &wire.RootSig{Root: rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "r")})
		}
		payload := wire.Marshal(s)
		o := &Orderer{}
		dec, err := decodeSlot(payload)
		want := err == nil && len(dec.Batches) > 0
		if got := o.Carries(payload); got != want {
			t.Fatalf("Carries %v, decode says %v", got, want)
		}
		if cut := rapid.IntRange(0, len(payload)).Draw(t, "cut"); cut < len(payload) && o.Carries(payload[:cut]) {
			if _, err := decodeSlot(payload[:cut]); err != nil && len(payload[:cut]) > 0 {
				// A truncation inside a nested message can still parse at the
				// top level only if it ends on a field boundary.
				t.Fatalf("truncated payload of %d bytes carries but does not decode", cut)
			}
		}
	})
}

// Collect replies leave early, behind the promise mark: a collect whose
// boundary passes the persisted mark raises it (promiseStepUs above the
// boundary) and makes its Ready a barrier; collects under the mark write
// nothing and wait for no sync. After a restart the replica promises at
// least every boundary it answered.
func TestCollectRepliesEarlyBehindThePromiseMark(t *testing.T) {
	h := newHarness(t, 4, 1)
	const self = 2
	steps := []struct {
		view        uint64
		advanceUs   int64 // of the clock, before the collect
		wantBarrier bool
	}{
		{5, 0, true},                  // the first promise: the mark goes up
		{7, 1_000, false},             // under the mark
		{8, promiseStepUs / 2, false}, // still under it
		{9, promiseStepUs, true},      // past it: raised again
		{11, 10, false},               // under the new mark
	}
	var answered int64
	for _, s := range steps {
		h.now += s.advanceUs
		h.tree.setView(s.view)
		leader := h.tree.Leader(s.view)
		if leader == self {
			t.Fatalf("view %d is led by the replica under test; pick another", s.view)
		}
		boundary := h.now - 5
		c := &wire.Collect{View: s.view, Parent: h.tree.genesis.Hash[:], Boundary: boundary}
		if err := h.ords[self].Step(h.now, leader, &wire.Message{Body: &wire.Message_Collect{Collect: c}}); err != nil {
			t.Fatalf("view %d: %v", s.view, err)
		}
		o := h.drain(self)
		if o.Barrier != s.wantBarrier || o.Writes.Empty() == s.wantBarrier {
			t.Fatalf("view %d: barrier %v with writes %v, want %v", s.view, o.Barrier, !o.Writes.Empty(), s.wantBarrier)
		}
		if len(o.Messages) != 1 || o.Messages[0].Msg.GetCollectReply() == nil || !o.Messages[0].Early {
			t.Fatalf("view %d: want one early collect reply, got %+v", s.view, o.Messages)
		}
		h.persist(self, &o.Writes)
		answered = boundary
	}
	h.stores[self].Crash()
	h.start(self)
	if got := h.ords[self].localSync; got < answered {
		t.Fatalf("after a restart the replica promises %d, below the boundary %d it answered", got, answered)
	}
}

// The signing window (pompe.ts_window): an idle replica signs the requests
// of a turn at the end of that turn; one that signed less than ts_window
// ago holds the next requests, over several turns, until ts_window has
// passed since, and signs them under one root. A full window closes at once.
func TestSigningWindowUnderLoad(t *testing.T) {
	for _, tc := range []struct {
		name        string
		windowUs    int64
		maxRequests int
		// replies at the end of the turn of each request (10 us apart),
		// then after a tick at the end of the window, then at the end of
		// the turn of a request that comes after a long idle time
		want      []int
		wantTick  int
		wantIdle  int
		wantRoots int // distinct signed roots among the replies
	}{
		{"untimed: one window per turn", 0, 0, []int{1, 1, 1}, 0, 1, 4},
		{"idle, then load", 1_000, 0, []int{1, 0, 0}, 2, 1, 3},
		{"full at two", 1_000, 2, []int{1, 0, 2}, 0, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 4, 1)
			out := &outbox.Outbox{}
			o, err := New(Config{Self: 0, Committee: h.com, Signer: crypto.NewSigner(h.keys[0], h.com.Cluster()),
				WindowUs: tc.windowUs, WindowMaxRequests: tc.maxRequests}, storage.NewMem(), out)
			if err != nil {
				t.Fatal(err)
			}
			o.SetTree(h.tree)
			id := h.clientID(0)
			roots := map[string]bool{}
			endOfTurn := func() int {
				o.Flush()
				for _, m := range out.Client {
					roots[string(m.Msg.GetTimestampReply().GetCert().GetRoot())] = true
				}
				n := len(out.Client)
				*out = outbox.Outbox{}
				return n
			}
			seq := uint64(0)
			request := func() {
				seq++
				if err := o.StepClient(h.now, id, &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: h.newBatch(0, seq)}}}); err != nil {
					t.Fatal(err)
				}
			}
			for i, want := range tc.want {
				h.now += 10
				request()
				if got := endOfTurn(); got != want {
					t.Fatalf("request %d: %d replies at the end of its turn, want %d", i, got, want)
				}
			}
			if w := o.WakeAt(); tc.wantTick > 0 && (w == 0 || w > h.now+tc.windowUs) {
				t.Fatalf("wake at %d with a window open, want by %d", w, h.now+tc.windowUs)
			}
			h.now += tc.windowUs
			o.Tick(h.now)
			if got := endOfTurn(); got != tc.wantTick {
				t.Fatalf("%d replies at the end of the window, want %d", got, tc.wantTick)
			}
			h.now += 10*tc.windowUs + 1_000_000
			request()
			if got := endOfTurn(); got != tc.wantIdle {
				t.Fatalf("%d replies to a request after idle time, want %d", got, tc.wantIdle)
			}
			if len(roots) != tc.wantRoots {
				t.Fatalf("%d signed roots, want %d", len(roots), tc.wantRoots)
			}
		})
	}
}
