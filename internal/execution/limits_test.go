package execution

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
	"github.com/pompe-bft/pompe/pkg/app"
	"github.com/pompe-bft/pompe/pkg/app/kvstore"
)

// sizedApp answers each command with as many bytes as its payload names in
// decimal, and marks refusals "E:" + reason (or with longErrors, with an
// error result longer than app.MaxErrorResultBytes).
type sizedApp struct{ longErrors bool }

func (a *sizedApp) Execute(_ uint64, cmds []app.Command, _ app.ResultLimits) [][]byte {
	out := make([][]byte, len(cmds))
	for i, c := range cmds {
		n, _ := strconv.Atoi(string(c.Payload))
		out[i] = bytes.Repeat([]byte{'r'}, n)
	}
	return out
}

func (a *sizedApp) ErrorResult(reason string) []byte {
	if a.longErrors {
		return bytes.Repeat([]byte{'E'}, app.MaxErrorResultBytes+1)
	}
	return []byte("E:" + reason)
}

func (a *sizedApp) Snapshot() ([]byte, error) { return nil, nil }
func (a *sizedApp) Restore([]byte) error      { return nil }

// sizedBatch is a batch of sub's commands asking for results of the given
// sizes.
func sizedBatch(sub crypto.ClientID, nonce uint64, sizes ...int) outbox.ExecBatch {
	b := &wire.Batch{Submitter: sub[:], Nonce: nonce}
	for i, n := range sizes {
		b.Commands = append(b.Commands, &wire.Command{ClientId: sub[:], Seq: nonce*1000 + uint64(i) + 1, Payload: []byte(strconv.Itoa(n))})
	}
	return outbox.ExecBatch{Digest: batch.DigestOf(wire.Marshal(b)), Batch: b}
}

// resultsOf returns the results of every reply, batch by batch.
func resultsOf(t fataler, res Result) [][]string {
	var out [][]string
	for _, r := range res.Replies {
		var rs []string
		for _, c := range executedMsg(t, r.Msg).Results {
			rs = append(rs, string(c.Result))
		}
		out = append(out, rs)
	}
	return out
}

// TestResultLimitRules pins each rule of resultLimiter.
func TestResultLimitRules(t *testing.T) {
	r := func(n int) string { return strings.Repeat("r", n) }
	r = func(n int) string { return strings.Repeat("r", n+app.MaxErrorResultBytes) }
	n := app.MaxErrorResultBytes
	cfg := Config{Results: app.ResultLimits{MaxResultBytes: 100 + n, MaxBatchBytes: 150 + 2*n, MaxTotalBytes: 250 + 3*n}}
	tests := []struct {
		name    string
		app     *sizedApp
		batches [][]int
		want    [][]string
	}{
		{"within every limit", &sizedApp{}, [][]int{{100 + n, 50 + n}, {100 + n}}, [][]string{{r(100), r(50)}, {r(100)}}},
		{"small results always pass", &sizedApp{}, [][]int{{n, n, n, n}}, [][]string{{r(0), r(0), r(0), r(0)}}},
		{"one result too large", &sizedApp{}, [][]int{{101 + n, 10 + n}},
			[][]string{{fmt.Sprintf("E:result of %d bytes exceeds limit %d", 101+n, 100+n), r(10)}}},
		{"batch budget", &sizedApp{}, [][]int{{100 + n, 60 + n, 50 + n}, {100 + n}},
			[][]string{{r(100), "E:" + app.ReasonBatchBudget, r(50)}, {r(100)}}},
		{"block budget", &sizedApp{}, [][]int{{100 + n, 50 + n}, {100 + n}, {10 + n}},
			[][]string{{r(100), r(50)}, {r(100)}, {"E:" + app.ReasonBlockBudget}}},
		{"refused results count toward no budget", &sizedApp{}, [][]int{{101 + n, 101 + n, 100 + n, 50 + n}},
			[][]string{{fmt.Sprintf("E:result of %d bytes exceeds limit %d", 101+n, 100+n), fmt.Sprintf("E:result of %d bytes exceeds limit %d", 101+n, 100+n), r(100), r(50)}}},
		{"over-long error result becomes empty", &sizedApp{longErrors: true}, [][]int{{101 + n}}, [][]string{{""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newExec(t, cfg, tt.app, nil)
			var bs []outbox.ExecBatch
			for i, sizes := range tt.batches {
				bs = append(bs, sizedBatch(crypto.ClientID{byte(i + 1)}, uint64(i+1), sizes...))
			}
			got := resultsOf(t, e.Execute([]outbox.ExecBlock{mkBlock(1, bs...)}))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("results %q, want %q", got, tt.want)
			}
		})
	}
}

// getAttack is the amplification of issue 11 (finding 1): one 60 KB value,
// then blocks of one batch of gets 2,000 GETs on it each.
func getAttack(blocks, gets int) []outbox.ExecBlock {
	value := bytes.Repeat([]byte("v"), 60_000)
	put := &wire.Batch{Submitter: alice[:], Commands: []*wire.Command{{ClientId: alice[:], Seq: 1, Payload: kvstore.EncodePut([]byte("big"), value)}}}
	out := []outbox.ExecBlock{mkBlock(1, outbox.ExecBatch{Digest: batch.DigestOf(wire.Marshal(put)), Batch: put})}
	seq := uint64(1)
	for h := 2; h <= blocks+1; h++ {
		b := &wire.Batch{Submitter: alice[:], Nonce: uint64(h)}
		for range gets {
			seq++
			b.Commands = append(b.Commands, &wire.Command{ClientId: alice[:], Seq: seq, Payload: kvstore.EncodeGet([]byte("big"))})
		}
		out = append(out, mkBlock(uint64(h), outbox.ExecBatch{Digest: batch.DigestOf(wire.Marshal(b)), Batch: b}))
	}
	return out
}

// TestGetAmplificationIsBounded: 2,000 GETs of a 60 KB value used to make
// a 120 MB reply on every replica, cached for good (ten such batches held
// 1.2 GB). Now one reply holds at most DefaultBatchResultBytes of results
// plus a short error per command, and the replies one client keeps cached
// stay within its share. (The old code fails at the first reply's size.)
func TestGetAmplificationIsBounded(t *testing.T) {
	const gets, blocks = 2000, 10
	kv, _ := kvstore.New(kvstore.Limits{})
	e := newExec(t, Config{}, kv, nil)
	replyBound := app.DefaultMaxBatchBytes + gets*(app.MaxErrorResultBytes+24)
	okPerBatch := 0
	for i, b := range getAttack(blocks, gets) {
		res := e.Execute([]outbox.ExecBlock{b})
		if i == 0 {
			continue
		}
		size := proto.Size(res.Replies[0].Msg)
		if size > replyBound {
			t.Fatalf("block %d: reply of %d bytes, bound %d", b.Height, size, replyBound)
		}
		ok := 0
		for j, c := range executedMsg(t, res.Replies[0].Msg).Results {
			r, err := kvstore.DecodeResult(c.Result)
			if err != nil {
				t.Fatalf("result %d undecodable: %v", j, err)
			}
			switch {
			case r.Err == "":
				ok++
			case r.Err != app.ReasonBatchBudget:
				t.Fatalf("result %d: %q, want %q", j, r.Err, app.ReasonBatchBudget)
			}
		}
		if okPerBatch = ok; ok == 0 || ok >= gets {
			t.Fatalf("%d of %d gets answered with the value", ok, gets)
		}
	}
	if e.replies.bytes > DefaultReplyCacheClientBytes {
		t.Fatalf("reply cache holds %d bytes of one client's replies, share %d", e.replies.bytes, DefaultReplyCacheClientBytes)
	}
	// The store keeps the limits itself: execution had nothing to replace.
	if refused, _ := e.Bounded(); refused != 0 {
		t.Fatalf("execution replaced %d results the store should have refused itself", refused)
	}
	t.Logf("reply bound %d bytes; %d gets a batch answered; cache %d bytes", replyBound, okPerBatch, e.replies.bytes)
}

// TestGetAmplificationMemory measures the heap the attack leaves behind
// (the executor and its caches stay reachable): at most the reply cache's
// share of one client plus slack, where the old code kept every reply.
func TestGetAmplificationMemory(t *testing.T) {
	const gets, blocks = 2000, 10
	attack := getAttack(blocks, gets)
	kv, _ := kvstore.New(kvstore.Limits{})
	e := newExec(t, Config{}, kv, nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, b := range attack {
		e.Execute([]outbox.ExecBlock{b})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	const bound = DefaultReplyCacheClientBytes + 16<<20
	if grew > bound {
		t.Fatalf("heap grew by %d MiB, bound %d MiB", grew>>20, bound>>20)
	}
	runtime.KeepAlive(e)
	t.Logf("heap grew by %.1f MiB after %d GETs of a 60 KB value", float64(grew)/(1<<20), gets*blocks)
}

// TestBlockResultBudgetAcrossBatches: many clients' batches of large reads
// in one block keep the block within Results.MaxTotalBytes.
func TestBlockResultBudgetAcrossBatches(t *testing.T) {
	kv, _ := kvstore.New(kvstore.Limits{})
	e := newExec(t, Config{}, kv, nil)
	value := bytes.Repeat([]byte("v"), 60_000)
	var puts, gets []outbox.ExecBatch
	for c := range 8 {
		id := crypto.ClientID{byte(c + 1)}
		p := &wire.Batch{Submitter: id[:], Commands: []*wire.Command{{ClientId: id[:], Seq: 1, Payload: kvstore.EncodePut([]byte("big"), value)}}}
		puts = append(puts, outbox.ExecBatch{Digest: batch.DigestOf(wire.Marshal(p)), Batch: p})
		g := &wire.Batch{Submitter: id[:], Nonce: 1}
		for s := range 200 {
			g.Commands = append(g.Commands, &wire.Command{ClientId: id[:], Seq: uint64(s + 2), Payload: kvstore.EncodeGet([]byte("big"))})
		}
		gets = append(gets, outbox.ExecBatch{Digest: batch.DigestOf(wire.Marshal(g)), Batch: g})
	}
	e.Execute([]outbox.ExecBlock{mkBlock(1, puts...)})
	res := e.Execute([]outbox.ExecBlock{mkBlock(2, gets...)})
	total, blockRefused := 0, 0
	for _, r := range res.Replies {
		for _, c := range executedMsg(t, r.Msg).Results {
			d, _ := kvstore.DecodeResult(c.Result)
			if d.Err == "" {
				total += len(c.Result)
			} else if d.Err == app.ReasonBlockBudget {
				blockRefused++
			}
		}
	}
	if total > app.DefaultMaxTotalBytes || blockRefused == 0 {
		t.Fatalf("block results %d bytes (budget %d), %d refused for the block budget", total, app.DefaultMaxTotalBytes, blockRefused)
	}
}

// TestRepliesPerCallBound: replay executes many blocks in one call; the
// replies it returns stay within MaxReplyBytesPerCall, and the rest can
// still be asked for from the cache.
func TestRepliesPerCallBound(t *testing.T) {
	cfg := Config{MaxReplyBytesPerCall: 2000}
	e := newExec(t, cfg, &sizedApp{}, nil)
	var blocks []outbox.ExecBlock
	var batches []outbox.ExecBatch
	for h := 1; h <= 20; h++ {
		b := sizedBatch(alice, uint64(h), 30)
		batches = append(batches, b)
		blocks = append(blocks, mkBlock(uint64(h), b))
	}
	res := e.Execute(blocks)
	sent := 0
	for _, r := range res.Replies {
		sent += proto.Size(r.Msg)
	}
	if sent > cfg.MaxReplyBytesPerCall || len(res.Replies) == 0 {
		t.Fatalf("%d replies of %d bytes, bound %d", len(res.Replies), sent, cfg.MaxReplyBytesPerCall)
	}
	if _, unsent := e.Bounded(); unsent != uint64(20-len(res.Replies)) {
		t.Fatalf("%d unsent, want %d", unsent, 20-len(res.Replies))
	}
	if _, _, ok := e.Reply(alice, batches[19].Digest); !ok {
		t.Fatal("an unsent reply is not in the cache")
	}
}

// kvBlocksGen draws blocks of key-value commands whose results vary in
// size, so that every result limit is hit.
func kvBlocksGen() *rapid.Generator[[]outbox.ExecBlock] {
	clients := []crypto.ClientID{alice, bob, carol}
	return rapid.Custom(func(t *rapid.T) []outbox.ExecBlock {
		n := rapid.IntRange(1, 10).Draw(t, "blocks")
		var out []outbox.ExecBlock
		nonce := uint64(0)
		for h := 1; h <= n; h++ {
			var bs []outbox.ExecBatch
			for range rapid.IntRange(0, 3).Draw(t, "batches") {
				sub := clients[rapid.IntRange(0, 2).Draw(t, "submitter")]
				b := &wire.Batch{Submitter: append([]byte(nil), sub[:]...), Nonce: nonce}
				nonce++
				for range rapid.IntRange(1, 6).Draw(t, "cmds") {
					key := []byte{'k', byte('0' + rapid.IntRange(0, 3).Draw(t, "key"))}
					var p []byte
					if rapid.Bool().Draw(t, "put") {
						p = kvstore.EncodePut(key, make([]byte, rapid.IntRange(0, 3000).Draw(t, "value")))
					} else {
						p = kvstore.EncodeGet(key)
					}
					b.Commands = append(b.Commands, &wire.Command{ClientId: append([]byte(nil), sub[:]...), Seq: rapid.Uint64Range(1, 40).Draw(t, "seq"), Payload: p})
				}
				bs = append(bs, outbox.ExecBatch{Digest: batch.DigestOf(wire.Marshal(b)), Batch: b})
			}
			out = append(out, mkBlock(uint64(h), bs...))
		}
		return out
	})
}

// TestResultLimitsDeterministic: with result limits that bite, replicas
// that execute the same blocks (in one call or block by block) give the
// same replies and state, a replica that restarts from its snapshot and
// replays gives the same replies above the snapshot, and every reply keeps
// its batch budget.
func TestResultLimitsDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		blocks := kvBlocksGen().Draw(t, "blocks")
		cfg := Config{
			SnapshotEveryBlocks: rapid.Uint64Range(1, 4).Draw(t, "every"),
			Results: app.ResultLimits{
				MaxResultBytes: rapid.IntRange(1, 4000).Draw(t, "maxResult"),
				MaxBatchBytes:  rapid.IntRange(1, 8000).Draw(t, "maxBatch"),
				MaxTotalBytes:  rapid.IntRange(1, 12000).Draw(t, "maxTotal"),
			},
		}
		newKV := func() *kvstore.Store { kv, _ := kvstore.New(kvstore.Limits{}); return kv }

		one := newExec(t, cfg, newKV(), nil)
		all := one.Execute(blocks)
		two := newExec(t, cfg, newKV(), nil)
		var stepwise []outbox.ClientEnvelope
		for _, b := range blocks {
			stepwise = append(stepwise, two.Execute([]outbox.ExecBlock{b}).Replies...)
		}
		sameReplies(t, all.Replies, stepwise)
		if !bytes.Equal(finalState(t, one), finalState(t, two)) {
			t.Fatal("final states differ")
		}

		cut := rapid.IntRange(0, len(blocks)).Draw(t, "cut")
		store := storage.NewMem()
		first := newExec(t, cfg, newKV(), store)
		res := first.Execute(blocks[:cut])
		apply(t, store, &res.Writes)
		restarted := newExec(t, cfg, newKV(), store)
		snapHeight := restarted.Height()
		replayed := restarted.Execute(blocks).Replies
		var want []outbox.ClientEnvelope
		for _, r := range all.Replies {
			if executedMsg(t, r.Msg).Height > snapHeight {
				want = append(want, r)
			}
		}
		sameReplies(t, replayed, want)
		if !bytes.Equal(finalState(t, restarted), finalState(t, one)) {
			t.Fatal("state after replay differs")
		}

		blockBytes := map[uint64]int{}
		for _, r := range all.Replies {
			ex := executedMsg(t, r.Msg)
			batchBytes := 0
			for _, c := range ex.Results {
				if c.Duplicate {
					continue
				}
				d, err := kvstore.DecodeResult(c.Result)
				if err != nil {
					t.Fatalf("undecodable result %x", c.Result)
				}
				if d.Err == "" && len(c.Result) > app.MaxErrorResultBytes {
					batchBytes += len(c.Result)
					if len(c.Result) > cfg.Results.MaxResultBytes {
						t.Fatalf("result of %d bytes, limit %d", len(c.Result), cfg.Results.MaxResultBytes)
					}
				}
			}
			if batchBytes > cfg.Results.MaxBatchBytes {
				t.Fatalf("batch results %d bytes, budget %d", batchBytes, cfg.Results.MaxBatchBytes)
			}
			blockBytes[ex.Height] += batchBytes
		}
		for h, n := range blockBytes {
			if n > cfg.Results.MaxTotalBytes {
				t.Fatalf("block %d results %d bytes, budget %d", h, n, cfg.Results.MaxTotalBytes)
			}
		}
	})
}
