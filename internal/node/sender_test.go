package node

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/wire"
)

func replyOf(size int) outbox.ClientEnvelope {
	return outbox.ClientEnvelope{To: crypto.ClientID{1}, Msg: &wire.ClientMessage{Body: &wire.ClientMessage_Executed{
		Executed: &wire.Executed{Results: []*wire.CommandResult{{Result: make([]byte, size)}}}}}}
}

// TestSendBudgetBoundsQueuedBytes: the loop may not queue a turn whose
// bytes take the sender's queue past its bound; it waits until the sender
// has sent enough, and a turn larger than the bound waits for an empty
// queue.
func TestSendBudgetBoundsQueuedBytes(t *testing.T) {
	ctx := context.Background()
	first := outgoing{client: []outbox.ClientEnvelope{replyOf(600)}}
	size := int64(proto.Size(first.client[0].Msg))
	b := newSendBudget(size + 100)
	if !b.charge(ctx, &first) || first.bytes != size {
		t.Fatalf("first turn charged %d, want %d", first.bytes, size)
	}

	second := outgoing{client: []outbox.ClientEnvelope{replyOf(600)}}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if b.charge(short, &second) {
		t.Fatal("a second turn was queued past the byte bound")
	}

	admitted := make(chan bool)
	go func() { admitted <- b.charge(ctx, &second) }()
	b.release(&first) // the sender sent the first turn
	if !<-admitted {
		t.Fatal("the second turn was not queued once the first was sent")
	}
	b.release(&second)

	huge := outgoing{client: []outbox.ClientEnvelope{replyOf(10_000)}}
	if !b.charge(ctx, &huge) || huge.bytes != b.max {
		t.Fatalf("a turn above the bound was charged %d, want the bound %d", huge.bytes, b.max)
	}
}
