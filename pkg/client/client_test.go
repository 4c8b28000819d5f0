package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/runlog"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitTimeout only keeps a broken test from hanging.
const waitTimeout = 15 * time.Second

func newKey(t testing.TB) crypto.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newClient(t testing.TB, fc *fakeCluster, tune func(*Config)) *Client {
	t.Helper()
	cfg := fc.config(newKey(t))
	if tune != nil {
		tune(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// New returns with a quorum; tests start with every running replica
	// connected, so that none of them misses the first requests.
	eventually(t, "running replicas connected", func() bool {
		for i, r := range fc.replicas {
			r.mu.Lock()
			running := r.ln != nil
			r.mu.Unlock()
			if running && !c.links[i].connected.Load() {
				return false
			}
		}
		return true
	})
	return c
}

func do(t testing.TB, c *Client, payload string) Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	o, err := c.Do(ctx, []byte(payload))
	if err != nil {
		t.Fatalf("Do(%q): %v", payload, err)
	}
	return o
}

func checkOutcome(t testing.TB, mode config.Mode, o Outcome, seq uint64, payload string) {
	t.Helper()
	if o.Seq != seq {
		t.Errorf("seq %d, want %d", o.Seq, seq)
	}
	if want := "ok:" + payload; string(o.Result) != want || o.Duplicate {
		t.Errorf("result %q (duplicate %v), want %q", o.Result, o.Duplicate, want)
	}
	if o.Height == 0 || o.Digest == (batch.Digest{}) || o.Attempts == 0 {
		t.Errorf("placement missing: %+v", o)
	}
	if o.SentAt.IsZero() || o.ExecutedAt.Before(o.SentAt) {
		t.Errorf("times: sent %v executed %v", o.SentAt, o.ExecutedAt)
	}
	if mode == config.ModePompe && (o.AssignedTS <= 0 || o.SequencedAt.IsZero()) {
		t.Errorf("pompe outcome without ordering: %+v", o)
	}
}

var modes = []config.Mode{config.ModePompe, config.ModeHotStuff}

func TestHappyPath(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			fc := newFakeCluster(t, mode, 4, nil)
			c := newClient(t, fc, nil)
			for i := 1; i <= 5; i++ {
				p := fmt.Sprint("cmd", i)
				o := do(t, c, p)
				checkOutcome(t, mode, o, uint64(i), p)
				if o.Attempts != 1 {
					t.Errorf("attempts %d, want 1", o.Attempts)
				}
				pl, ok := fc.placement(o.Digest)
				if !ok || pl.height != o.Height {
					t.Errorf("client says height %d, chain says %d (%v)", o.Height, pl.height, ok)
				}
			}
			s := c.Stats()
			if s.Submitted != 5 || s.Executed != 5 || s.InvalidReplies != 0 || s.Pending != 0 {
				t.Errorf("stats %+v", s)
			}
			if mode == config.ModePompe && s.Sequenced != 5 {
				t.Errorf("sequenced %d, want 5", s.Sequenced)
			}
		})
	}
}

func TestConcurrentDo(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			fc := newFakeCluster(t, mode, 4, nil)
			c := newClient(t, fc, func(cfg *Config) {
				cfg.Inflight, cfg.BatchMaxCommands, cfg.BatchMaxDelay = 3, 5, time.Millisecond
			})
			const workers, each = 8, 10
			var mu sync.Mutex
			seen := map[uint64]bool{}
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						p := fmt.Sprintf("w%d-%d", w, i)
						o, err := c.Do(context.Background(), []byte(p))
						if err != nil || string(o.Result) != "ok:"+p {
							t.Errorf("Do(%s) = %q, %v", p, o.Result, err)
							return
						}
						mu.Lock()
						if seen[o.Seq] {
							t.Errorf("seq %d twice", o.Seq)
						}
						seen[o.Seq] = true
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			for s := uint64(1); s <= workers*each; s++ {
				if !seen[s] {
					t.Errorf("seq %d missing", s)
				}
			}
		})
	}
}

func TestSilentReplica(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			fc := newFakeCluster(t, mode, 4, map[int]fakeBehavior{2: {silent: true}})
			c := newClient(t, fc, nil)
			for i := 1; i <= 3; i++ {
				checkOutcome(t, mode, do(t, c, fmt.Sprint(i)), uint64(i), fmt.Sprint(i))
			}
		})
	}
}

func TestLyingReplica(t *testing.T) {
	cases := []struct {
		name        string
		mode        config.Mode
		b           fakeBehavior
		wantInvalid bool
	}{
		{"bad signature", config.ModePompe, fakeBehavior{badSig: true}, true},
		{"names another replica", config.ModePompe, fakeBehavior{otherReplica: true}, true},
		{"acks another timestamp", config.ModePompe, fakeBehavior{ackWrongTS: true}, true},
		{"garbage", config.ModePompe, fakeBehavior{garbage: true}, true},
		{"wrong results", config.ModePompe, fakeBehavior{wrongResults: true}, false},
		{"huge timestamp", config.ModePompe, fakeBehavior{hugeTimestamp: true}, false},
		{"wrong results baseline", config.ModeHotStuff, fakeBehavior{wrongResults: true}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fc := newFakeCluster(t, tc.mode, 4, map[int]fakeBehavior{1: tc.b})
			// Execution after consensus takes a while; without it the lie
			// could arrive after the batch completed and go unseen.
			fc.execDelay = func(uint32) time.Duration { return 30 * time.Millisecond }
			c := newClient(t, fc, nil)
			var last Outcome
			for i := 1; i <= 3; i++ {
				last = do(t, c, fmt.Sprint(i))
				checkOutcome(t, tc.mode, last, uint64(i), fmt.Sprint(i))
			}
			s := c.Stats()
			if got := s.InvalidReplies > 0; got != tc.wantInvalid {
				t.Errorf("invalid replies %d, want some: %v", s.InvalidReplies, tc.wantInvalid)
			}
			if s.Replicas[1].InvalidReplies != s.InvalidReplies {
				t.Errorf("invalid replies blamed on the wrong replica: %+v", s.Replicas)
			}
			if tc.b.hugeTimestamp && last.AssignedTS > time.Now().Add(time.Hour).UnixMicro() {
				t.Errorf("median %d follows the lying replica", last.AssignedTS)
			}
		})
	}
}

func TestRejectsStartNewAttempt(t *testing.T) {
	fc := newFakeCluster(t, config.ModePompe, 4, map[int]fakeBehavior{0: {rejectBelow: 1}, 1: {rejectBelow: 1}})
	var buf bytes.Buffer
	c := newClient(t, fc, func(cfg *Config) { cfg.RecordsTo = &buf })
	o := do(t, c, "x")
	checkOutcome(t, config.ModePompe, o, 1, "x")
	if o.Attempts != 2 {
		t.Errorf("attempts %d, want 2", o.Attempts)
	}
	pl, ok := fc.placement(o.Digest)
	if !ok || pl.attempt != 1 {
		t.Errorf("executed digest is attempt %d (%v), want the new attempt 1", pl.attempt, ok)
	}
	s := c.Stats()
	if s.Retries != 1 || s.Rejects < 2 {
		t.Errorf("retries %d rejects %d", s.Retries, s.Rejects)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, &buf)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	// 2f+1 valid timestamps for each attempt at least.
	if r := recs[0]; len(r.ReplicaTs) < 6 || r.Attempts != 2 || r.Digest != runlog.Digest(o.Digest) {
		t.Errorf("record %+v", r)
	}
}

// TestEarlierAttemptExecutes: the first attempt was rejected by some
// replicas yet ordered anyway; the second executes after it and reports
// only duplicates. The client must take the first attempt's results.
func TestEarlierAttemptExecutes(t *testing.T) {
	fc := newFakeCluster(t, config.ModePompe, 4, map[int]fakeBehavior{0: {rejectBelow: 1}, 1: {rejectBelow: 1}})
	fc.orderAfterAcks = 1
	fc.execDelay = func(attempt uint32) time.Duration {
		if attempt == 0 {
			return 300 * time.Millisecond
		}
		return 0
	}
	c := newClient(t, fc, func(cfg *Config) { cfg.RetryTimeout = 5 * time.Second })
	o := do(t, c, "x")
	checkOutcome(t, config.ModePompe, o, 1, "x")
	pl, ok := fc.placement(o.Digest)
	if !ok || pl.attempt != 0 || o.Attempts != 2 {
		t.Errorf("outcome from attempt %d (%v) of %d, want attempt 0 of 2", pl.attempt, ok, o.Attempts)
	}
}

// TestDuplicateOnly: the attempt that executed the command reports to no
// one; the client completes it as Duplicate after the retry timeout.
func TestDuplicateOnly(t *testing.T) {
	fc := newFakeCluster(t, config.ModePompe, 4, map[int]fakeBehavior{0: {rejectBelow: 1}, 1: {rejectBelow: 1}})
	fc.orderAfterAcks = 1
	fc.execDelay = func(attempt uint32) time.Duration {
		if attempt == 0 {
			return time.Hour
		}
		return 0
	}
	c := newClient(t, fc, func(cfg *Config) { cfg.RetryTimeout = 200 * time.Millisecond })
	o := do(t, c, "x")
	if !o.Duplicate || o.Result != nil || o.Height == 0 {
		t.Errorf("outcome %+v, want a duplicate", o)
	}
	if s := c.Stats(); s.Duplicates != 1 || s.Executed != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestBatchingBySize(t *testing.T) {
	fc := newFakeCluster(t, config.ModePompe, 4, nil)
	c := newClient(t, fc, func(cfg *Config) { cfg.BatchMaxCommands, cfg.BatchMaxDelay = 4, time.Hour })
	outs := submitAll(t, c, 8)
	for i, o := range outs {
		checkOutcome(t, config.ModePompe, o, uint64(i+1), fmt.Sprint(i+1))
	}
	// Replica 0 may see the second batch after the client completed it
	// with the others' replies.
	eventually(t, "replica 0 saw both batches", func() bool { return len(fc.sizes()) == 2 })
	if got := fc.sizes(); fmt.Sprint(got) != "[4 4]" {
		t.Errorf("batch sizes %v, want [4 4]", got)
	}
	if outs[0].Digest != outs[3].Digest || outs[3].Digest == outs[4].Digest {
		t.Errorf("commands not grouped four by four")
	}
}

func TestBatchingByDelay(t *testing.T) {
	fc := newFakeCluster(t, config.ModePompe, 4, nil)
	c := newClient(t, fc, func(cfg *Config) { cfg.BatchMaxCommands, cfg.BatchMaxDelay = 100, 300*time.Millisecond })
	outs := submitAll(t, c, 3)
	for i, o := range outs {
		checkOutcome(t, config.ModePompe, o, uint64(i+1), fmt.Sprint(i+1))
	}
	got, total := fc.sizes(), 0
	for _, n := range got {
		total += n
	}
	if total != 3 || len(got) == 3 {
		t.Errorf("batch sizes %v: the delay should have grouped commands", got)
	}
}

// submitAll submits payloads "1".."n" and waits for every outcome.
func submitAll(t *testing.T, c *Client, n int) []Outcome {
	t.Helper()
	outs := make([]Outcome, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		if _, err := c.Submit([]byte(fmt.Sprint(i+1)), func(o Outcome) { outs[i] = o; wg.Done() }); err != nil {
			t.Fatal(err)
		}
	}
	waitGroup(t, &wg)
	return outs
}

func waitGroup(t *testing.T, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("timed out")
	}
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestInflightAndPendingBounds(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			fc := newFakeCluster(t, mode, 4, nil)
			fc.hold = true
			c := newClient(t, fc, func(cfg *Config) { cfg.Inflight, cfg.MaxPending = 2, 6 })
			var wg sync.WaitGroup
			wg.Add(6)
			for i := range 6 {
				if _, err := c.Submit([]byte(fmt.Sprint(i+1)), func(Outcome) { wg.Done() }); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := c.Submit([]byte("7"), nil); !errors.Is(err, ErrBusy) {
				t.Fatalf("seventh submit: %v, want ErrBusy", err)
			}
			eventually(t, "two batches", func() bool { return len(fc.sizes()) == 2 })
			time.Sleep(100 * time.Millisecond) // room for a third batch to (wrongly) appear
			if n := len(fc.sizes()); n != 2 {
				t.Fatalf("%d batches outstanding, inflight bound is 2", n)
			}
			fc.release()
			waitGroup(t, &wg)
			if s := c.Stats(); s.Executed != 6 || s.Pending != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func readRecords(t *testing.T, buf *bytes.Buffer) []runlog.ClientRecord {
	t.Helper()
	r := runlog.NewClientRecordReader(bytes.NewReader(buf.Bytes()))
	var out []runlog.ClientRecord
	for {
		rec, err := r.Next()
		if err != nil {
			break
		}
		out = append(out, rec)
	}
	return out
}

func TestRecords(t *testing.T) {
	fc := newFakeCluster(t, config.ModePompe, 4, nil)
	// Execution reports after the acks, so every record has its
	// sequenced_us (see TestRecordedSequencedTimeIsTheAckQuorum).
	fc.execDelay = func(uint32) time.Duration { return 100 * time.Millisecond }
	var buf bytes.Buffer
	c := newClient(t, fc, func(cfg *Config) { cfg.RecordsTo = &buf })
	var outs []Outcome
	for i := 1; i <= 3; i++ {
		outs = append(outs, do(t, c, fmt.Sprint(i)))
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, &buf)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	id := c.ID()
	for i, r := range recs {
		o := outs[i]
		switch {
		case r.Client != runlog.ClientID(id), r.Seq != uint64(i+1):
			t.Errorf("record %d names %s/%d", i, r.Client, r.Seq)
		case r.SentUs != o.SentAt.UnixMicro() || r.SentUs <= 0:
			t.Errorf("record %d sent_us %d", i, r.SentUs)
		case len(r.ReplicaTs) < 3:
			t.Errorf("record %d has %d replica timestamps", i, len(r.ReplicaTs))
		case r.AssignedTsUs != uint64(o.AssignedTS) || r.AssignedTsUs == 0:
			t.Errorf("record %d assigned_ts %d, outcome %d", i, r.AssignedTsUs, o.AssignedTS)
		case r.Attempts != 1:
			t.Errorf("record %d attempts %d", i, r.Attempts)
		case r.SequencedUs < r.SentUs || r.ExecutedUs < r.SequencedUs:
			t.Errorf("record %d times sent %d sequenced %d executed %d", i, r.SentUs, r.SequencedUs, r.ExecutedUs)
		case r.Height != o.Height || r.Position != o.Position || r.Digest != runlog.Digest(o.Digest):
			t.Errorf("record %d placement %d/%d/%s", i, r.Height, r.Position, r.Digest)
		}
		var fromReplica [4]bool
		for _, ts := range r.ReplicaTs {
			if ts.Replica >= 4 || ts.TsUs == 0 {
				t.Errorf("record %d replica timestamp %+v", i, ts)
				continue
			}
			fromReplica[ts.Replica] = true
		}
	}
}

func TestClosePending(t *testing.T) {
	fc := newFakeCluster(t, config.ModePompe, 4, nil)
	fc.hold = true
	var buf bytes.Buffer
	c := newClient(t, fc, func(cfg *Config) { cfg.RecordsTo = &buf; cfg.Inflight = 1 })
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	wg.Add(3)
	for i := range 3 {
		if _, err := c.Submit([]byte(fmt.Sprint(i)), func(o Outcome) {
			mu.Lock()
			errs = append(errs, o.Err)
			mu.Unlock()
			wg.Done()
		}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the first batch sequenced", func() bool { return c.Stats().Sequenced == 1 })
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	waitGroup(t, &wg)
	for _, err := range errs {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("pending command ended with %v, want ErrClosed", err)
		}
	}
	recs := readRecords(t, &buf)
	if len(recs) != 1 || recs[0].ExecutedUs != 0 || recs[0].SequencedUs == 0 || recs[0].SentUs == 0 {
		t.Errorf("records %+v, want the one sent command without execution", recs)
	}
	if _, err := c.Submit([]byte("late"), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("submit after close: %v", err)
	}
	if _, err := c.Do(context.Background(), []byte("late")); !errors.Is(err, ErrClosed) {
		t.Errorf("do after close: %v", err)
	}
}

func TestReplicaDownAndBack(t *testing.T) {
	fc := newFakeCluster(t, config.ModePompe, 4, nil)
	down := fc.replicas[3]
	down.stop()
	c := newClient(t, fc, nil)
	checkOutcome(t, config.ModePompe, do(t, c, "1"), 1, "1")
	if c.Stats().Replicas[3].Connected {
		t.Fatal("replica 3 reported connected while down")
	}
	down.start(down.addr)
	eventually(t, "replica 3 connected", func() bool { return c.Stats().Replicas[3].Connected })

	crashed := fc.replicas[0]
	crashed.stop()
	eventually(t, "replica 0 disconnected", func() bool { return !c.Stats().Replicas[0].Connected })
	checkOutcome(t, config.ModePompe, do(t, c, "2"), 2, "2")
	crashed.start(crashed.addr)
	eventually(t, "replica 0 reconnected", func() bool {
		s := c.Stats().Replicas[0]
		return s.Connected && s.Reconnects > 0
	})
	checkOutcome(t, config.ModePompe, do(t, c, "3"), 3, "3")
}

func TestNewFailsWithoutQuorum(t *testing.T) {
	fc := newFakeCluster(t, config.ModePompe, 4, nil)
	fc.replicas[0].stop()
	fc.replicas[1].stop()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if c, err := New(ctx, fc.config(newKey(t))); err == nil {
		c.Close()
		t.Fatal("New succeeded with 2 of 4 replicas in Pompe mode")
	}
}

func TestPayloadTooLarge(t *testing.T) {
	fc := newFakeCluster(t, config.ModeHotStuff, 4, nil)
	c := newClient(t, fc, nil)
	if _, err := c.Submit(make([]byte, MaxPayloadBytes+1), nil); !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("submit: %v", err)
	}
}

// TestTimeoutStartsNewAttempts: with two of four replicas silent no
// attempt can gather 2f+1 timestamps; each retry timeout starts a new one.
func TestTimeoutStartsNewAttempts(t *testing.T) {
	fc := newFakeCluster(t, config.ModePompe, 4, map[int]fakeBehavior{2: {silent: true}, 3: {silent: true}})
	var buf bytes.Buffer
	c := newClient(t, fc, func(cfg *Config) {
		cfg.RetryTimeout, cfg.RecordsTo, cfg.FirstSeq = 50*time.Millisecond, &buf, 100
	})
	got := make(chan Outcome, 1)
	seq, err := c.Submit([]byte("x"), func(o Outcome) { got <- o })
	if err != nil || seq != 100 {
		t.Fatalf("submit: seq %d, %v", seq, err)
	}
	eventually(t, "three retries", func() bool { return c.Stats().Retries >= 3 })
	c.Close()
	if o := <-got; !errors.Is(o.Err, ErrClosed) || o.Seq != 100 {
		t.Fatalf("outcome %+v", o)
	}
	recs := readRecords(t, &buf)
	if len(recs) != 1 || recs[0].Attempts < 4 || recs[0].ExecutedUs != 0 || recs[0].Seq != 100 || len(recs[0].ReplicaTs) < 6 {
		t.Fatalf("records %+v", recs)
	}
}

func TestBaselineResend(t *testing.T) {
	fc := newFakeCluster(t, config.ModeHotStuff, 4, nil)
	// Twice the replicas: a replica whose connection is set up while the
	// first broadcast goes out can receive it twice, and every copy of the
	// first broadcast must be dropped for a resend to be needed.
	fc.dropSubmits = 8
	c := newClient(t, fc, func(cfg *Config) { cfg.RetryTimeout = 100 * time.Millisecond })
	o := do(t, c, "x")
	checkOutcome(t, config.ModeHotStuff, o, 1, "x")
	if s := c.Stats(); s.Retries == 0 || o.Attempts != 1 {
		t.Errorf("retries %d attempts %d: want resends of the same digest", s.Retries, o.Attempts)
	}
}

func TestRejectedCounted(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			fc := newFakeCluster(t, mode, 4, map[int]fakeBehavior{0: {refuse: true}})
			fc.execDelay = func(uint32) time.Duration { return 30 * time.Millisecond }
			c := newClient(t, fc, nil)
			checkOutcome(t, mode, do(t, c, "x"), 1, "x")
			if mode == config.ModePompe && c.Stats().Replicas[0].Rejects == 0 {
				t.Errorf("rejection not counted: %+v", c.Stats())
			}
		})
	}
}

// A record's sequenced_us is when the client saw 2f+1 sequence acks. When
// f+1 execution reports come before them (here two replicas' acks name a
// wrong timestamp, so only two valid acks ever arrive), the batch was
// sequenced at some earlier time the client cannot know: sequenced_us is
// 0, not the execution time, though the outcome counts it as sequenced.
func TestRecordedSequencedTimeIsTheAckQuorum(t *testing.T) {
	for _, tc := range []struct {
		name      string
		behaviors map[int]fakeBehavior
		acked     bool
	}{
		{"acks first", nil, true},
		{"execution before 2f+1 acks", map[int]fakeBehavior{2: {ackWrongTS: true}, 3: {ackWrongTS: true}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc := newFakeCluster(t, config.ModePompe, 4, tc.behaviors)
			if tc.acked {
				fc.execDelay = func(uint32) time.Duration { return 100 * time.Millisecond }
			}
			var buf bytes.Buffer
			c := newClient(t, fc, func(cfg *Config) { cfg.RecordsTo = &buf })
			o := do(t, c, "x")
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			recs := readRecords(t, &buf)
			if len(recs) != 1 || o.SequencedAt.IsZero() {
				t.Fatalf("records %+v, outcome %+v", recs, o)
			}
			r := recs[0]
			if tc.acked != (r.SequencedUs != 0) || r.ExecutedUs == 0 {
				t.Fatalf("sequenced_us %d, executed_us %d; want sequenced_us set: %v", r.SequencedUs, r.ExecutedUs, tc.acked)
			}
			if tc.acked && (r.SequencedUs < r.SentUs || r.SequencedUs > r.ExecutedUs) {
				t.Fatalf("times sent %d sequenced %d executed %d", r.SentUs, r.SequencedUs, r.ExecutedUs)
			}
		})
	}
}
