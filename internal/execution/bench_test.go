package execution

import (
	"fmt"
	"testing"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/wire"
	"github.com/pompe-bft/pompe/pkg/app/kvstore"
)

// benchBlocks makes blocks of one batch of cmds 64-byte key-value puts each,
// as the load generator submits them.
func benchBlocks(blocks, cmds int) []outbox.ExecBlock {
	out := make([]outbox.ExecBlock, blocks)
	seq := uint64(0)
	for h := range out {
		b := &wire.Batch{Submitter: alice[:], Nonce: uint64(h)}
		for range cmds {
			seq++
			key := fmt.Appendf(nil, "key-%08d", seq%4096)
			b.Commands = append(b.Commands, &wire.Command{ClientId: alice[:], Seq: seq, Payload: kvstore.EncodePut(key, make([]byte, 48))})
		}
		out[h] = mkBlock(uint64(h+1), outbox.ExecBatch{Digest: batch.DigestOf(wire.Marshal(b)), Batch: b})
	}
	return out
}

// BenchmarkExecuteBlock executes blocks of one batch of 1 or 1000 puts on
// the key-value store: deduplication, the application, the Executed reply
// and the log entries, without snapshots. Reported per block.
func BenchmarkExecuteBlock(b *testing.B) {
	for _, cmds := range []int{1, 1000} {
		b.Run(fmt.Sprintf("cmds=%d", cmds), func(b *testing.B) {
			blocks := benchBlocks(256, cmds)
			b.ReportAllocs()
			i := 0
			var e *Executor
			for b.Loop() {
				if i%len(blocks) == 0 {
					b.StopTimer()
					kv, _ := kvstore.New(kvstore.Limits{})
					e = newExec(b, Config{SnapshotEveryBlocks: 1 << 40}, kv, nil)
					b.StartTimer()
				}
				e.Execute(blocks[i%len(blocks) : i%len(blocks)+1])
				i++
			}
		})
	}
}

// BenchmarkExecuteReadAmplification executes the block of a get-amplify
// attacker (internal/attack): one batch of 2,000 reads of one 60 KB value,
// of which the batch's result budget (4 MiB) admits 69. Reported per block.
func BenchmarkExecuteReadAmplification(b *testing.B) {
	kv, _ := kvstore.New(kvstore.Limits{})
	e := newExec(b, Config{SnapshotEveryBlocks: 1 << 40}, kv, nil)
	put := &wire.Batch{Submitter: alice[:], Commands: []*wire.Command{{ClientId: alice[:], Seq: 1, Payload: kvstore.EncodePut([]byte("big"), make([]byte, 60_000))}}}
	e.Execute([]outbox.ExecBlock{mkBlock(1, outbox.ExecBatch{Digest: batch.DigestOf(wire.Marshal(put)), Batch: put})})
	seq, h := uint64(1), uint64(1)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		g := &wire.Batch{Submitter: alice[:], Nonce: h}
		for range 2000 {
			seq++
			g.Commands = append(g.Commands, &wire.Command{ClientId: alice[:], Seq: seq, Payload: kvstore.EncodeGet([]byte("big"))})
		}
		h++
		blk := []outbox.ExecBlock{mkBlock(h, outbox.ExecBatch{Digest: batch.DigestOf(wire.Marshal(g)), Batch: g})}
		b.StartTimer()
		e.Execute(blk)
	}
}

// BenchmarkDedupOutOfOrderBatches records one client's sequence numbers as
// four batches of 1000 commands in flight execute: each batch of four runs
// before the one before it, so the earlier batch's numbers are added in
// order while the later one's wait above the low-water mark. Reported per
// 4,000 numbers.
func BenchmarkDedupOutOfOrderBatches(b *testing.B) {
	const batch, inflight = 1000, 4
	var s seqSet
	base := uint64(0)
	for b.Loop() {
		for k := inflight - 1; k >= 0; k-- {
			for i := uint64(1); i <= batch; i++ {
				s.add(base + uint64(k)*batch + i)
			}
		}
		base += inflight * batch
	}
	if len(s.above) != 0 {
		b.Fatalf("%d sparse numbers left", len(s.above))
	}
}
