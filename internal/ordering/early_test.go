package ordering

import (
	"testing"

	"pgregory.net/rapid"

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
