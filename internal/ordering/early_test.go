package ordering

import (
	"testing"

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
