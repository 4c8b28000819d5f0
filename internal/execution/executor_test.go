package execution

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
	"github.com/pompe-bft/pompe/pkg/app/kvstore"
)

func TestExecuteResultsRepliesAndLog(t *testing.T) {
	a := &chainApp{}
	e := newExec(t, Config{}, a, nil)
	b0 := mkBatch(alice, 1, 100, cmd{alice, 1}, cmd{alice, 2})
	b1 := mkBatch(bob, 1, 250, cmd{bob, 1})
	res := e.Execute([]outbox.ExecBlock{mkBlock(1, b0, b1)})

	want := []cmdKey{{alice, 1}, {alice, 2}, {bob, 1}}
	if got := a.executed(); !slices.Equal(got, want) {
		t.Fatalf("app executed %v, want %v", got, want)
	}
	if len(a.calls) != 1 || a.calls[0].height != 1 {
		t.Fatalf("app calls %+v, want one at height 1", a.calls)
	}
	if string(a.calls[0].cmds[1].Payload) != "a-2" {
		t.Fatalf("payload %q not handed through", a.calls[0].cmds[1].Payload)
	}
	if e.Height() != 1 {
		t.Fatalf("Height = %d", e.Height())
	}
	if ex, dup := e.Counts(); ex != 3 || dup != 0 {
		t.Fatalf("Counts = %d, %d", ex, dup)
	}

	if len(res.Replies) != 2 {
		t.Fatalf("%d replies, want one per batch", len(res.Replies))
	}
	for i, tc := range []struct {
		to    [16]byte
		b     outbox.ExecBatch
		seqs  []uint64
		outTS int64
	}{{alice, b0, []uint64{1, 2}, 100}, {bob, b1, []uint64{1}, 250}} {
		r := res.Replies[i]
		if r.To != tc.to {
			t.Fatalf("reply %d goes to %v, want the submitter %v", i, r.To, tc.to)
		}
		ex := executedMsg(t, r.Msg)
		if !bytes.Equal(ex.Digest, tc.b.Digest[:]) || ex.Height != 1 || ex.Position != uint32(i) || ex.Ts != tc.outTS {
			t.Fatalf("reply %d: digest %x height %d position %d ts %d", i, ex.Digest, ex.Height, ex.Position, ex.Ts)
		}
		if len(ex.Results) != len(tc.seqs) {
			t.Fatalf("reply %d has %d results, want %d", i, len(ex.Results), len(tc.seqs))
		}
		for j, cr := range ex.Results {
			if cr.Seq != tc.seqs[j] || cr.Duplicate || !strings.HasPrefix(string(cr.Result), fmt.Sprintf("1/%x-%d/", tc.to[0], tc.seqs[j])) {
				t.Fatalf("reply %d result %d = %+v", i, j, cr)
			}
		}
	}

	wantLog := []runlog.ExecEntry{
		{Height: 1, Position: 0, Index: 0, Digest: runlog.Digest(b0.Digest), Client: runlog.ClientID(alice), Seq: 1, TsUs: 100},
		{Height: 1, Position: 0, Index: 1, Digest: runlog.Digest(b0.Digest), Client: runlog.ClientID(alice), Seq: 2, TsUs: 100},
		{Height: 1, Position: 1, Index: 0, Digest: runlog.Digest(b1.Digest), Client: runlog.ClientID(bob), Seq: 1, TsUs: 250},
	}
	if !slices.Equal(res.Log, wantLog) {
		t.Fatalf("log\n%+v\nwant\n%+v", res.Log, wantLog)
	}
}

func TestExecuteBaselineTimestampZero(t *testing.T) {
	e := newExec(t, Config{}, &chainApp{}, nil)
	res := e.Execute([]outbox.ExecBlock{mkBlock(1, mkBatch(alice, 1, 0, cmd{alice, 1}))})
	if len(res.Log) != 1 || res.Log[0].TsUs != 0 {
		t.Fatalf("log %+v, want TsUs 0 in baseline mode", res.Log)
	}
	if ex := executedMsg(t, res.Replies[0].Msg); ex.Ts != 0 {
		t.Fatalf("Executed.Ts = %d", ex.Ts)
	}
}

type seqDup struct {
	seq uint64
	dup bool
}

// resultSet counts an Executed reply's results by (seq, duplicate); a
// duplicate must carry no result.
func resultSet(ex *wire.Executed) map[seqDup]int {
	m := map[seqDup]int{}
	for _, r := range ex.Results {
		if r.Duplicate && r.Result != nil {
			m[seqDup{r.Seq, true}] += 1000 // never matches an expectation
		}
		m[seqDup{r.Seq, r.Duplicate}]++
	}
	return m
}

func expectSet(b outbox.ExecBatch, dupIdx []int) map[seqDup]int {
	m := map[seqDup]int{}
	for i, c := range b.Batch.Commands {
		m[seqDup{c.Seq, slices.Contains(dupIdx, i)}]++
	}
	return m
}

// resultFor finds the result of seq in an Executed reply.
func resultFor(t *testing.T, ex *wire.Executed, seq uint64) *wire.CommandResult {
	t.Helper()
	var found *wire.CommandResult
	for _, r := range ex.Results {
		if r.Seq == seq {
			if found != nil {
				t.Fatalf("two results for seq %d", seq)
			}
			found = r
		}
	}
	if found == nil {
		t.Fatalf("no result for seq %d in %+v", seq, ex.Results)
	}
	return found
}

func TestDeduplication(t *testing.T) {
	type step struct {
		batches []outbox.ExecBatch
		dups    [][]int // per batch: indexes of the commands reported Duplicate
	}
	cases := []struct {
		name  string
		steps []step // one block each
		want  []cmdKey
	}{
		{
			name: "retry in a later block",
			steps: []step{
				{[]outbox.ExecBatch{mkBatch(alice, 1, 0, cmd{alice, 1}, cmd{alice, 2})}, [][]int{nil}},
				{[]outbox.ExecBatch{mkBatch(alice, 2, 0, cmd{alice, 1}, cmd{alice, 2}, cmd{alice, 3})}, [][]int{{0, 1}}},
			},
			want: []cmdKey{{alice, 1}, {alice, 2}, {alice, 3}},
		},
		{
			name: "two attempts in one block",
			steps: []step{
				{[]outbox.ExecBatch{mkBatch(alice, 1, 0, cmd{alice, 5}), mkBatch(alice, 2, 0, cmd{alice, 5}, cmd{alice, 6})}, [][]int{nil, {0}}},
			},
			want: []cmdKey{{alice, 5}, {alice, 6}},
		},
		{
			name: "repeat inside one batch",
			steps: []step{
				{[]outbox.ExecBatch{mkBatch(alice, 1, 0, cmd{alice, 1}, cmd{alice, 1})}, [][]int{{1}}},
			},
			want: []cmdKey{{alice, 1}},
		},
		{
			name: "out of order",
			steps: []step{
				{[]outbox.ExecBatch{mkBatch(alice, 1, 0, cmd{alice, 5}, cmd{alice, 3})}, [][]int{nil}},
				{[]outbox.ExecBatch{mkBatch(alice, 2, 0, cmd{alice, 4}, cmd{alice, 5}, cmd{alice, 1}, cmd{alice, 3})}, [][]int{{1, 3}}},
				{[]outbox.ExecBatch{mkBatch(alice, 3, 0, cmd{alice, 2}, cmd{alice, 4}, cmd{alice, 6})}, [][]int{{1}}},
			},
			want: []cmdKey{{alice, 5}, {alice, 3}, {alice, 4}, {alice, 1}, {alice, 2}, {alice, 6}},
		},
		{
			name: "clients are independent",
			steps: []step{
				{[]outbox.ExecBatch{mkBatch(alice, 1, 0, cmd{alice, 1}), mkBatch(bob, 1, 0, cmd{bob, 1})}, [][]int{nil, nil}},
				{[]outbox.ExecBatch{mkBatch(carol, 1, 0, cmd{carol, 1}, cmd{alice, 2})}, [][]int{nil}},
			},
			want: []cmdKey{{alice, 1}, {bob, 1}, {carol, 1}, {alice, 2}},
		},
		{
			// Sequence numbers start at 1: 0 counts as already executed.
			name: "sequence zero",
			steps: []step{
				{[]outbox.ExecBatch{mkBatch(alice, 1, 0, cmd{alice, 0}, cmd{alice, 1})}, [][]int{{0}}},
			},
			want: []cmdKey{{alice, 1}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := &chainApp{}
			e := newExec(t, Config{}, a, nil)
			var dups uint64
			for h, st := range tc.steps {
				res := e.Execute([]outbox.ExecBlock{mkBlock(uint64(h+1), st.batches...)})
				for bi, b := range st.batches {
					ex := executedMsg(t, res.Replies[bi].Msg)
					if len(ex.Results) != len(b.Batch.Commands) {
						t.Fatalf("block %d batch %d: %d results for %d commands", h+1, bi, len(ex.Results), len(b.Batch.Commands))
					}
					if got, want := resultSet(ex), expectSet(b, st.dups[bi]); !maps.Equal(got, want) {
						t.Fatalf("block %d batch %d: results %v, want %v", h+1, bi, got, want)
					}
					dups += uint64(len(st.dups[bi]))
				}
			}
			if got := a.executed(); !slices.Equal(got, tc.want) {
				t.Fatalf("executed %v, want %v", got, tc.want)
			}
			if ex, d := e.Counts(); ex != uint64(len(tc.want)) || d != dups {
				t.Fatalf("Counts = %d, %d; want %d, %d", ex, d, len(tc.want), dups)
			}
		})
	}
}

func TestMalformedIDs(t *testing.T) {
	a := &chainApp{}
	e := newExec(t, Config{}, a, nil)
	good := mkBatch(alice, 1, 0, cmd{alice, 1})
	bad := mkBatch(alice, 2, 0, cmd{alice, 2})
	bad.Batch.Commands[0].ClientId = alice[:5] // not a client id
	noSub := mkBatch(bob, 1, 0, cmd{bob, 1})
	noSub.Batch.Submitter = nil
	res := e.Execute([]outbox.ExecBlock{mkBlock(1, good, bad, noSub)})
	if got := a.executed(); !slices.Equal(got, []cmdKey{{alice, 1}, {bob, 1}}) {
		t.Fatalf("executed %v", got)
	}
	if len(res.Replies) != 2 {
		t.Fatalf("%d replies, want 2 (none for a batch without a valid submitter)", len(res.Replies))
	}
	if r := resultFor(t, executedMsg(t, res.Replies[1].Msg), 2); !r.Duplicate {
		t.Fatalf("command with a malformed client id: %+v, want skipped", r)
	}
}

func TestExecuteSkipsExecutedHeights(t *testing.T) {
	a := &chainApp{}
	e := newExec(t, Config{}, a, nil)
	b1 := mkBlock(1, mkBatch(alice, 1, 0, cmd{alice, 1}))
	b2 := mkBlock(2, mkBatch(alice, 2, 0, cmd{alice, 2}))
	e.Execute([]outbox.ExecBlock{b1})
	res := e.Execute([]outbox.ExecBlock{b1, b2})
	if len(a.calls) != 2 || a.calls[1].height != 2 {
		t.Fatalf("app calls %+v: block 1 executed twice or block 2 missing", a.calls)
	}
	if len(res.Replies) != 1 || len(res.Log) != 1 || res.Log[0].Height != 2 {
		t.Fatalf("second Execute produced replies %d log %+v", len(res.Replies), res.Log)
	}
	if e.Height() != 2 {
		t.Fatalf("Height = %d", e.Height())
	}
}

func TestEmptyBlockAdvancesHeight(t *testing.T) {
	e := newExec(t, Config{SnapshotEveryBlocks: 1}, &chainApp{}, nil)
	res := e.Execute([]outbox.ExecBlock{mkBlock(1)})
	if e.Height() != 1 || len(res.Replies) != 0 || len(res.Log) != 0 {
		t.Fatalf("height %d replies %d log %d", e.Height(), len(res.Replies), len(res.Log))
	}
	if res.Writes.Empty() {
		t.Fatal("no snapshot written for an empty block at the snapshot interval")
	}
}

func snapshotKeyWrites(w *storage.Batch) int {
	n := 0
	for _, op := range w.Ops {
		if op.Kind == storage.OpPut && bytes.Equal(op.Key, keySnapshot) {
			n++
		}
	}
	return n
}

func TestSnapshotEveryN(t *testing.T) {
	e := newExec(t, Config{SnapshotEveryBlocks: 3}, &chainApp{}, nil)
	var snapAt []uint64
	for h := uint64(1); h <= 10; h++ {
		res := e.Execute([]outbox.ExecBlock{mkBlock(h, mkBatch(alice, h, 0, cmd{alice, h}))})
		if n := snapshotKeyWrites(&res.Writes); n > 0 {
			snapAt = append(snapAt, h)
		}
	}
	if !slices.Equal(snapAt, []uint64{3, 6, 9}) {
		t.Fatalf("snapshots at heights %v, want 3, 6, 9", snapAt)
	}
	// Many blocks in one call still snapshot at each interval.
	e2 := newExec(t, Config{SnapshotEveryBlocks: 3}, &chainApp{}, nil)
	var blocks []outbox.ExecBlock
	for h := uint64(1); h <= 7; h++ {
		blocks = append(blocks, mkBlock(h))
	}
	if res := e2.Execute(blocks); snapshotKeyWrites(&res.Writes) != 2 {
		t.Fatal("want 2 snapshot writes for 7 blocks")
	}
}

func TestSnapshotRestore(t *testing.T) {
	store := storage.NewMem()
	kv, _ := kvstore.New(kvstore.Limits{})
	e := newExec(t, Config{SnapshotEveryBlocks: 2}, kv, store)
	put := func(seq uint64, k, v string) *wire.Command {
		return &wire.Command{ClientId: alice[:], Seq: seq, Payload: kvstore.EncodePut([]byte(k), []byte(v))}
	}
	blk := func(h uint64, cmds ...*wire.Command) outbox.ExecBlock {
		b := &wire.Batch{Submitter: alice[:], Nonce: h, Commands: cmds}
		return mkBlock(h, outbox.ExecBatch{Digest: batch.DigestOf(wire.Marshal(b)), Batch: b})
	}
	// Sparse sequence numbers survive the snapshot too: 1, 2 and 5 executed.
	res := e.Execute([]outbox.ExecBlock{blk(1, put(1, "x", "1")), blk(2, put(2, "y", "2"), put(5, "z", "5"))})
	apply(t, store, &res.Writes)
	// Height 3 executes after the snapshot and is lost in the "crash".
	e.Execute([]outbox.ExecBlock{blk(3, put(3, "x", "3"))})

	kv2, _ := kvstore.New(kvstore.Limits{})
	e2 := newExec(t, Config{SnapshotEveryBlocks: 2}, kv2, store)
	if e2.Height() != 2 {
		t.Fatalf("restored height %d, want 2", e2.Height())
	}
	if ex, _ := e2.Counts(); ex != 3 {
		t.Fatalf("restored executed count %d, want 3", ex)
	}
	if v, ok := kv2.Get(alice, []byte("z")); !ok || string(v) != "5" {
		t.Fatalf("restored app: z = %q, %v", v, ok)
	}
	if v, _ := kv2.Get(alice, []byte("x")); string(v) != "1" {
		t.Fatalf("restored app: x = %q, want the snapshot's 1", v)
	}
	// Replay: heights 1 and 2 are skipped, 3 executes; seq 5 is a duplicate,
	// seq 4 is new.
	res = e2.Execute([]outbox.ExecBlock{blk(1, put(1, "x", "bad")), blk(2, put(2, "y", "bad")), blk(3, put(3, "x", "3")), blk(4, put(5, "z", "bad"), put(4, "w", "4"))})
	if v, _ := kv2.Get(alice, []byte("x")); string(v) != "3" {
		t.Fatalf("x = %q after replay, want 3", v)
	}
	if v, _ := kv2.Get(alice, []byte("z")); string(v) != "5" {
		t.Fatalf("z = %q: restored dedup state lost sparse seq 5", v)
	}
	if v, _ := kv2.Get(alice, []byte("y")); string(v) != "2" {
		t.Fatalf("y = %q: a block at or below the snapshot height was executed again", v)
	}
	if len(res.Replies) != 2 {
		t.Fatalf("%d replies, want 2 (heights 3 and 4)", len(res.Replies))
	}
	if r := resultFor(t, executedMsg(t, res.Replies[1].Msg), 5); !r.Duplicate {
		t.Fatalf("seq 5 after restore: %+v, want duplicate", r)
	}
}

func TestExplicitSnapshot(t *testing.T) {
	store := storage.NewMem()
	e := newExec(t, Config{SnapshotEveryBlocks: 100}, &chainApp{}, store)
	e.Execute([]outbox.ExecBlock{mkBlock(1, mkBatch(alice, 1, 0, cmd{alice, 1}))})
	var w storage.Batch
	if err := e.Snapshot(&w); err != nil {
		t.Fatal(err)
	}
	apply(t, store, &w)
	a2 := &chainApp{}
	e2 := newExec(t, Config{}, a2, store)
	if e2.Height() != 1 || a2.n != 1 {
		t.Fatalf("restored height %d, app count %d", e2.Height(), a2.n)
	}
}

type failingApp struct{ chainApp }

func (failingApp) Snapshot() ([]byte, error) { return nil, fmt.Errorf("disk on fire") }

func TestSnapshotErrors(t *testing.T) {
	e := newExec(t, Config{SnapshotEveryBlocks: 1}, &failingApp{}, nil)
	var w storage.Batch
	if err := e.Snapshot(&w); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Snapshot error %v", err)
	}
	res := e.Execute([]outbox.ExecBlock{mkBlock(1, mkBatch(alice, 1, 0, cmd{alice, 1}))})
	if !res.Writes.Empty() || !w.Empty() {
		t.Fatal("a failed application snapshot still wrote a record")
	}
	if e.Height() != 1 {
		t.Fatal("a failed snapshot stopped execution")
	}
}

func TestCorruptSnapshotRecord(t *testing.T) {
	good := func() []byte {
		store := storage.NewMem()
		e := newExec(t, Config{}, &chainApp{}, store)
		e.Execute([]outbox.ExecBlock{mkBlock(1, mkBatch(alice, 1, 0, cmd{alice, 1}, cmd{alice, 3}))})
		var w storage.Batch
		if err := e.Snapshot(&w); err != nil {
			t.Fatal(err)
		}
		return w.Ops[0].Value
	}()
	// good = height(1) executed(1) len(1) dedup... app(40)
	dedupLen := int(good[2])
	cases := []struct {
		name string
		rec  []byte
		want string
	}{
		{"empty", []byte{}, "corrupt snapshot record"},
		{"only height", good[:1], "corrupt snapshot record"},
		{"dedup length beyond record", append([]byte{1, 2, 0xff, 0x7f}, 1, 2), "corrupt snapshot record"},
		{"truncated dedup", append([]byte{1, 2, 2}, good[3:5]...), "corrupt dedup state"},
		{"empty dedup", []byte{1, 2, 0}, "corrupt dedup state"},
		{"truncated app state", good[:len(good)-1], "restore application"},
		{"dedup claims more clients", func() []byte {
			r := bytes.Clone(good)
			r[3] = 5 // client count
			return r
		}(), "corrupt dedup state"},
		{"too many sparse entries", func() []byte {
			d := dedup{alice: &seqSet{}}
			b := d.encode()
			// Rewrite the sparse count of the one client beyond the bound.
			b = b[:len(b)-1]
			b = appendUvarint(b, MaxSparsePerClient+2)
			return append([]byte{1, 1, byte(len(b))}, b...)
		}(), "corrupt dedup state"},
	}
	if dedupLen == 0 {
		t.Fatal("test record has no dedup state")
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := storage.NewMem()
			var w storage.Batch
			w.Put(keySnapshot, tc.rec)
			apply(t, store, &w)
			_, err := New(Config{}, &chainApp{}, store)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// The good record itself restores.
	store := storage.NewMem()
	var w storage.Batch
	w.Put(keySnapshot, good)
	apply(t, store, &w)
	if _, err := New(Config{}, &chainApp{}, store); err != nil {
		t.Fatalf("good record: %v", err)
	}
}

type brokenStore struct{ storage.Store }

func (brokenStore) Get([]byte) ([]byte, error) { return nil, fmt.Errorf("io error") }

func TestNewStoreError(t *testing.T) {
	_, err := New(Config{}, &chainApp{}, brokenStore{storage.NewMem()})
	if err == nil || !strings.Contains(err.Error(), "read snapshot") || !strings.Contains(err.Error(), "io error") {
		t.Fatalf("error %v", err)
	}
}

func TestReplyCache(t *testing.T) {
	e := newExec(t, Config{ReplyCacheEntries: 2}, &chainApp{}, nil)
	b1 := mkBatch(alice, 1, 0, cmd{alice, 1})
	b2 := mkBatch(bob, 1, 0, cmd{bob, 1})
	b3 := mkBatch(alice, 2, 0, cmd{alice, 2})
	res := e.Execute([]outbox.ExecBlock{mkBlock(1, b1, b2)})

	m, size, ok := e.Reply(alice, b1.Digest)
	if !ok || m != res.Replies[0].Msg || size != proto.Size(m) {
		t.Fatalf("Reply(alice, b1) = %v, %v; want the Executed sent", m, ok)
	}
	if _, _, ok := e.Reply(bob, b1.Digest); ok {
		t.Fatal("Reply hands alice's result to bob")
	}
	if _, _, ok := e.Reply(alice, batch.Digest{1}); ok {
		t.Fatal("Reply for an unknown digest")
	}
	if m, _, ok := e.Reply(bob, b2.Digest); !ok || !bytes.Equal(executedMsg(t, m).Digest, b2.Digest[:]) {
		t.Fatal("Reply(bob, b2) missing")
	}
	// The cache is bounded: a third reply evicts the oldest.
	e.Execute([]outbox.ExecBlock{mkBlock(2, b3)})
	if _, _, ok := e.Reply(alice, b1.Digest); ok {
		t.Fatal("oldest reply not evicted from a cache of 2")
	}
	if _, _, ok := e.Reply(alice, b3.Digest); !ok {
		t.Fatal("newest reply missing")
	}
	if _, _, ok := e.Reply(bob, b2.Digest); !ok {
		t.Fatal("second reply evicted too early")
	}
}
