package byzantine

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// TestImpersonate: once the replica has answered a client, its proposals
// carry one more batch, in that client's name with its next sequence
// number, validly re-signed; it serves that body on request; and the body
// fails the ownership check every correct replica applies.
func TestImpersonate(t *testing.T) {
	f := newFixture(t, 4)
	tr := f.transformer(t, Impersonate, 0, false)
	ds := [][]byte{digest(1)}
	m := f.proposal(0, wire.Marshal(&wire.BaselinePayload{Digests: ds}))
	if tr.Out(1, m)[0] != m {
		t.Fatal("rewrote a proposal before knowing a victim")
	}
	victim := crypto.ClientID{7}
	tr.Client(victim, &wire.ClientMessage{Body: &wire.ClientMessage_Executed{Executed: &wire.Executed{
		Results: []*wire.CommandResult{{Seq: 4}, {Seq: 5}}}}})

	m = f.proposal(0, wire.Marshal(&wire.BaselinePayload{Digests: ds}))
	out := tr.Out(1, m)[0]
	if again := tr.Out(2, m)[0]; again != out {
		t.Fatal("a broadcast proposal was rewritten differently per replica")
	}
	if !f.proposalOK(out.GetProposal()) {
		t.Fatal("rewritten proposal not validly signed")
	}
	var bp wire.BaselinePayload
	if err := proto.Unmarshal(out.GetProposal().Payload, &bp); err != nil || len(bp.Digests) != 2 || !bytes.Equal(bp.Digests[0], ds[0]) {
		t.Fatalf("payload %v (%v): want the original digest and one more", bp.Digests, err)
	}
	served := tr.In(3, &wire.Message{Body: &wire.Message_BatchRequest{BatchRequest: &wire.BatchRequest{Digests: [][]byte{bp.Digests[1], ds[0]}}}})
	if len(served) != 1 || served[0].To != 3 || len(served[0].Msg.GetBatchResponse().GetBatches()) != 1 {
		t.Fatalf("fetch answered with %v, want the forged body to replica 3", served)
	}
	body := served[0].Msg.GetBatchResponse().Batches[0]
	if d := batch.DigestOf(body); !bytes.Equal(d[:], bp.Digests[1]) {
		t.Fatal("served body does not match the proposed digest")
	}
	b, err := batch.Decode(body, batch.DefaultLimits)
	if err != nil || !bytes.Equal(b.Submitter, victim[:]) || b.Commands[0].Seq != 6 || !bytes.Equal(b.Commands[0].ClientId, victim[:]) {
		t.Fatalf("forged body %v (%v): want the victim's command number 6", b, err)
	}
	if _, err := batch.CheckSigned(body, f.com.Cluster(), batch.DefaultLimits); err == nil {
		t.Fatal("the forged body passes the ownership check")
	}
	if tr.Corrupted() != 1 {
		t.Fatalf("Corrupted = %d", tr.Corrupted())
	}
}
