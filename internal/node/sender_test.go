package node

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
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

// pipelineProbe drives a sendPipeline whose sync blocks until released and
// records what it sends, in order.
type pipelineProbe struct {
	q       chan outgoing
	syncing chan struct{} // a sync started
	release chan error    // ends the running sync with this result
	sent    chan string
	failed  chan error
	done    chan struct{}
}

func newPipelineProbe() *pipelineProbe {
	pr := &pipelineProbe{
		q:       make(chan outgoing), // unbuffered: a send returns once the dispatcher took the turn
		syncing: make(chan struct{}, 16),
		release: make(chan error),
		sent:    make(chan string, 64),
		failed:  make(chan error, 1),
		done:    make(chan struct{}),
	}
	p := &sendPipeline{
		sync: func() error {
			pr.syncing <- struct{}{}
			return <-pr.release
		},
		send:       func(e hotstuff.Envelope) { pr.sent <- string(e.Msg.GetCollect().GetParent()) },
		sendClient: func(e outbox.ClientEnvelope) { pr.sent <- e.Msg.GetRejected().GetReason() },
		budget:     newSendBudget(1 << 20),
		synced:     func(time.Duration, int) {},
		failed:     func(err error) { pr.failed <- err },
	}
	go func() {
		defer close(pr.done)
		p.run(pr.q)
	}()
	return pr
}

// msg is a replica message named name (carried in a collect's parent).
func msg(name string, early bool) hotstuff.Envelope {
	return hotstuff.Envelope{To: 1, Early: early, Msg: &wire.Message{Body: &wire.Message_Collect{Collect: &wire.Collect{Parent: []byte(name)}}}}
}

// reply is a client message named name (carried in a rejection's reason).
func reply(name string, early bool) outbox.ClientEnvelope {
	return outbox.ClientEnvelope{To: crypto.ClientID{1}, Early: early, Msg: &wire.ClientMessage{Body: &wire.ClientMessage_Rejected{Rejected: &wire.Rejected{Reason: name}}}}
}

func (pr *pipelineProbe) queue(t *testing.T, o outgoing) {
	t.Helper()
	select {
	case pr.q <- o:
	case <-time.After(time.Minute):
		t.Fatal("the pipeline did not take a turn")
	}
}

func (pr *pipelineProbe) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-pr.sent:
			if got != w {
				t.Fatalf("sent %q, want %q", got, w)
			}
		case <-time.After(time.Minute):
			t.Fatalf("%q was never sent", w)
		}
	}
}

func (pr *pipelineProbe) expectNothing(t *testing.T) {
	t.Helper()
	select {
	case got := <-pr.sent:
		t.Fatalf("%q was sent too early", got)
	default:
	}
}

func (pr *pipelineProbe) waitSyncing(t *testing.T) {
	t.Helper()
	select {
	case <-pr.syncing:
	case <-time.After(time.Minute):
		t.Fatal("no sync started")
	}
}

func (pr *pipelineProbe) close(t *testing.T) {
	t.Helper()
	close(pr.q)
	select {
	case <-pr.done:
	case <-time.After(time.Minute):
		t.Fatal("the pipeline did not finish")
	}
}

// TestEarlyMessagesPassARunningSync: an early message of a later turn
// leaves while an earlier turn's sync runs; the messages that depend on
// that turn's writes leave only after it.
func TestEarlyMessagesPassARunningSync(t *testing.T) {
	pr := newPipelineProbe()
	pr.queue(t, outgoing{sync: true, messages: []hotstuff.Envelope{msg("vote", false)}, client: []outbox.ClientEnvelope{reply("ack", false)}})
	pr.waitSyncing(t)
	pr.queue(t, outgoing{sync: true, messages: []hotstuff.Envelope{msg("collect", true), msg("vote2", false)}, client: []outbox.ClientEnvelope{reply("timestamp", true)}})
	// The dispatcher took the next turn, so it is done with this one.
	pr.queue(t, outgoing{})
	pr.expect(t, "collect", "timestamp")
	pr.expectNothing(t)
	pr.release <- nil
	pr.expect(t, "vote", "ack")
	pr.waitSyncing(t) // the second turn's writes
	pr.expectNothing(t)
	pr.release <- nil
	pr.expect(t, "vote2")
	pr.close(t)
}

// TestBarrierHoldsEarlyMessages: early messages of a turn with Barrier
// writes, and of every turn after it, wait until those writes are durable.
func TestBarrierHoldsEarlyMessages(t *testing.T) {
	pr := newPipelineProbe()
	pr.queue(t, outgoing{sync: true, barrier: true, client: []outbox.ClientEnvelope{reply("timestamp-1", true)}})
	pr.waitSyncing(t)
	pr.queue(t, outgoing{client: []outbox.ClientEnvelope{reply("timestamp-2", true)}})
	pr.queue(t, outgoing{}) // the dispatcher is done with the turns before
	pr.expectNothing(t)
	pr.release <- nil
	pr.expect(t, "timestamp-1", "timestamp-2")
	// The barrier is durable: early messages leave at once again.
	pr.queue(t, outgoing{sync: true, client: []outbox.ClientEnvelope{reply("timestamp-3", true)}})
	pr.expect(t, "timestamp-3")
	pr.waitSyncing(t)
	pr.release <- nil
	pr.close(t)
}

// TestFailedSyncSendsNothingThatDependsOnIt: when a sync fails, the
// messages waiting for it are dropped and the failure is reported once.
func TestFailedSyncSendsNothingThatDependsOnIt(t *testing.T) {
	pr := newPipelineProbe()
	pr.queue(t, outgoing{sync: true, barrier: true, messages: []hotstuff.Envelope{msg("vote", false)}, client: []outbox.ClientEnvelope{reply("timestamp", true)}})
	pr.waitSyncing(t)
	pr.release <- errDiskFull
	select {
	case err := <-pr.failed:
		if err != errDiskFull {
			t.Fatalf("reported %v, want %v", err, errDiskFull)
		}
	case <-time.After(time.Minute):
		t.Fatal("the failed sync was not reported")
	}
	pr.queue(t, outgoing{sync: true, messages: []hotstuff.Envelope{msg("late", true)}})
	pr.close(t)
	pr.expectNothing(t)
}
