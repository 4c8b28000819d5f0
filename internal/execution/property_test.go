package execution

import (
	"bytes"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/storage"
)

// blocksGen draws a chain of committed blocks whose batches mix clients,
// retries and out-of-order sequence numbers.
func blocksGen() *rapid.Generator[[]outbox.ExecBlock] {
	clients := []crypto.ClientID{alice, bob, carol}
	return rapid.Custom(func(t *rapid.T) []outbox.ExecBlock {
		n := rapid.IntRange(1, 12).Draw(t, "blocks")
		var out []outbox.ExecBlock
		nonce := uint64(0)
		for h := 1; h <= n; h++ {
			var bs []outbox.ExecBatch
			for range rapid.IntRange(0, 3).Draw(t, "batches") {
				sub := clients[rapid.IntRange(0, 2).Draw(t, "submitter")]
				var cmds []cmd
				for range rapid.IntRange(1, 4).Draw(t, "cmds") {
					cmds = append(cmds, cmd{sub, rapid.Uint64Range(1, 15).Draw(t, "seq")})
				}
				nonce++
				bs = append(bs, mkBatch(sub, nonce, rapid.Int64Range(0, 1000).Draw(t, "ts"), cmds...))
			}
			out = append(out, mkBlock(uint64(h), bs...))
		}
		return out
	})
}

type outcome struct {
	res  Result
	snap []byte
}

func (o *outcome) add(r Result) {
	o.res.Writes.Append(&r.Writes)
	o.res.Replies = append(o.res.Replies, r.Replies...)
	o.res.Log = append(o.res.Log, r.Log...)
}

func finalState(t *rapid.T, e *Executor) []byte {
	var w storage.Batch
	if err := e.Snapshot(&w); err != nil {
		t.Fatal(err)
	}
	return w.Ops[0].Value
}

func sameReplies(t *rapid.T, a, b []outbox.ClientEnvelope) {
	if len(a) != len(b) {
		t.Fatalf("%d replies vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i].To != b[i].To || !proto.Equal(a[i].Msg, b[i].Msg) {
			t.Fatalf("reply %d differs: %v to %v vs %v to %v", i, a[i].Msg, a[i].To, b[i].Msg, b[i].To)
		}
	}
}

func sameWrites(t *rapid.T, a, b storage.Batch) {
	if len(a.Ops) != len(b.Ops) {
		t.Fatalf("%d writes vs %d", len(a.Ops), len(b.Ops))
	}
	for i := range a.Ops {
		x, y := a.Ops[i], b.Ops[i]
		if x.Kind != y.Kind || !bytes.Equal(x.Key, y.Key) || !bytes.Equal(x.Value, y.Value) {
			t.Fatalf("write %d differs", i)
		}
	}
}

// TestDeterministic: two executors given the same blocks, in one call or
// block by block, produce identical logs, replies, snapshots and states.
func TestDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		blocks := blocksGen().Draw(t, "blocks")
		every := rapid.Uint64Range(1, 4).Draw(t, "every")

		var one, two outcome
		e1 := newExec(t, Config{SnapshotEveryBlocks: every}, &chainApp{}, nil)
		one.add(e1.Execute(blocks))
		e2 := newExec(t, Config{SnapshotEveryBlocks: every}, &chainApp{}, nil)
		for _, b := range blocks {
			two.add(e2.Execute([]outbox.ExecBlock{b}))
		}
		if !slices.Equal(one.res.Log, two.res.Log) {
			t.Fatalf("logs differ:\n%+v\n%+v", one.res.Log, two.res.Log)
		}
		sameReplies(t, one.res.Replies, two.res.Replies)
		sameWrites(t, one.res.Writes, two.res.Writes)
		if !bytes.Equal(finalState(t, e1), finalState(t, e2)) {
			t.Fatal("final states differ")
		}
		// Every command executes at most once.
		seen := map[cmdKey]bool{}
		for _, le := range one.res.Log {
			k := cmdKey{crypto.ClientID(le.Client), le.Seq}
			if seen[k] {
				t.Fatalf("command %v executed twice", k)
			}
			seen[k] = true
		}
	})
}

// TestRestoreEquivalence: executing a prefix, restoring a fresh executor
// from the stored snapshot and giving it every block ends in the same state,
// with the same log above the snapshot, as one executor that ran them all.
func TestRestoreEquivalence(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		blocks := blocksGen().Draw(t, "blocks")
		cut := rapid.IntRange(0, len(blocks)).Draw(t, "cut")
		every := rapid.Uint64Range(1, 5).Draw(t, "every")
		cfg := Config{SnapshotEveryBlocks: every}

		whole := newExec(t, cfg, &chainApp{}, nil)
		all := whole.Execute(blocks)

		store := storage.NewMem()
		first := newExec(t, cfg, &chainApp{}, store)
		res := first.Execute(blocks[:cut])
		apply(t, store, &res.Writes)

		restored := newExec(t, cfg, &chainApp{}, store)
		snapHeight := restored.Height()
		if snapHeight > uint64(cut) || uint64(cut)-snapHeight >= every {
			t.Fatalf("restored at height %d after executing %d blocks with snapshots every %d", snapHeight, cut, every)
		}
		rest := restored.Execute(blocks)

		if restored.Height() != whole.Height() {
			t.Fatalf("height %d vs %d", restored.Height(), whole.Height())
		}
		if !bytes.Equal(finalState(t, restored), finalState(t, whole)) {
			t.Fatal("final states differ")
		}
		var tail []int
		for i, le := range all.Log {
			if le.Height > snapHeight {
				tail = append(tail, i)
			}
		}
		if len(tail) != len(rest.Log) {
			t.Fatalf("%d log entries after restore, want %d", len(rest.Log), len(tail))
		}
		for j, i := range tail {
			if all.Log[i] != rest.Log[j] {
				t.Fatalf("log entry %d differs: %+v vs %+v", j, rest.Log[j], all.Log[i])
			}
		}
	})
}
