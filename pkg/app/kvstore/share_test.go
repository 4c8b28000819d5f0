package kvstore

import (
	"bytes"
	"strings"
	"testing"
)

const (
	clientKeyLimit  = "store is full for this client: key limit reached"
	clientByteLimit = "store is full for this client: byte limit reached"
)

// TestClientShare: one client at its share is refused with a reason of its
// own, changes nothing, and leaves room for the others; writes that do not
// grow it pass at the limit, and the whole store's limits still apply.
func TestClientShare(t *testing.T) {
	type step struct {
		who     Owner
		payload []byte
		want    Result
		errHas  string // non-empty: expect a failure with exactly this reason
	}
	tests := []struct {
		name      string
		limits    Limits
		steps     []step
		wantUsage map[Owner]Usage
	}{
		{"key share reached while another client can still put", Limits{MaxClientKeys: 2}, []step{
			{who: alice, payload: EncodePut([]byte("a"), []byte("1")), want: Result{OK: true}},
			{who: alice, payload: EncodePut([]byte("b"), []byte("1")), want: Result{OK: true}},
			{who: alice, payload: EncodePut([]byte("c"), []byte("1")), errHas: clientKeyLimit},
			{who: alice, payload: EncodeCAS([]byte("c"), nil, []byte("1")), errHas: clientKeyLimit},
			{who: bob, payload: EncodePut([]byte("c"), []byte("1")), want: Result{OK: true}},
			{who: bob, payload: EncodePut([]byte("d"), []byte("1")), want: Result{OK: true}},
			{who: bob, payload: EncodePut([]byte("e"), []byte("1")), errHas: clientKeyLimit},
			{who: alice, payload: EncodeGet([]byte("c")), want: Result{OK: true}},
		}, map[Owner]Usage{alice: {2, 4}, bob: {2, 4}}},
		{"byte share reached while another client can still put", Limits{MaxClientBytes: 6}, []step{
			{who: alice, payload: EncodePut([]byte("a"), []byte("12345")), want: Result{OK: true}},
			{who: alice, payload: EncodePut([]byte("a"), []byte("123456")), errHas: clientByteLimit},
			{who: alice, payload: EncodePut([]byte("b"), nil), errHas: clientByteLimit},
			{who: alice, payload: EncodeCAS([]byte("a"), []byte("12345"), []byte("123456")), errHas: clientByteLimit},
			{who: bob, payload: EncodePut([]byte("b"), []byte("12345")), want: Result{OK: true}},
			{who: alice, payload: EncodePut([]byte("a"), []byte("1")), want: Result{Found: true, OK: true}},
			{who: alice, payload: EncodePut([]byte("b"), []byte("12")), want: Result{OK: true}},
		}, map[Owner]Usage{alice: {2, 5}, bob: {1, 6}}},
		{"at the share: overwrite, shrink, delete pass", Limits{MaxClientKeys: 1, MaxClientBytes: 3}, []step{
			{who: alice, payload: EncodePut([]byte("k"), []byte("ab")), want: Result{OK: true}},
			{who: alice, payload: EncodePut([]byte("k"), []byte("cd")), want: Result{Found: true, OK: true}},
			{who: alice, payload: EncodeCAS([]byte("k"), []byte("cd"), []byte("ef")), want: Result{Found: true, OK: true, Value: []byte("cd")}},
			{who: alice, payload: EncodePut([]byte("k"), []byte("e")), want: Result{Found: true, OK: true}},
			{who: alice, payload: EncodePut([]byte("j"), nil), errHas: clientKeyLimit},
			{who: alice, payload: EncodeDelete([]byte("k")), want: Result{Found: true, OK: true}},
			{who: alice, payload: EncodePut([]byte("j"), []byte("xy")), want: Result{OK: true}},
		}, map[Owner]Usage{alice: {1, 3}}},
		{"the total key limit applies below the share", Limits{MaxKeys: 2, MaxClientKeys: 10}, []step{
			{who: alice, payload: EncodePut([]byte("a"), nil), want: Result{OK: true}},
			{who: bob, payload: EncodePut([]byte("a"), nil), want: Result{OK: true}},
			{who: alice, payload: EncodePut([]byte("b"), nil), errHas: "store is full: key limit reached"},
			{who: testOwner, payload: EncodePut([]byte("a"), nil), errHas: "store is full: key limit reached"},
		}, map[Owner]Usage{alice: {1, 1}, bob: {1, 1}}},
		{"the total byte limit applies below the share", Limits{MaxTotalBytes: 7, MaxClientBytes: 100}, []step{
			{who: alice, payload: EncodePut([]byte("a"), []byte("12")), want: Result{OK: true}},
			{who: bob, payload: EncodePut([]byte("a"), []byte("12")), want: Result{OK: true}},
			{who: alice, payload: EncodePut([]byte("a"), []byte("1234")), errHas: "store is full: byte limit reached"},
			{who: testOwner, payload: EncodePut([]byte("a"), nil), want: Result{OK: true}},
		}, map[Owner]Usage{alice: {1, 3}, bob: {1, 3}, testOwner: {1, 1}}},
		{"a client's entry goes with its last key", Limits{}, []step{
			{who: alice, payload: EncodePut([]byte("a"), nil), want: Result{OK: true}},
			{who: alice, payload: EncodePut(nil, nil), want: Result{OK: true}},
			{who: bob, payload: EncodePut([]byte("a"), nil), want: Result{OK: true}},
			{who: alice, payload: EncodeDelete([]byte("a")), want: Result{Found: true, OK: true}},
			{who: alice, payload: EncodeDelete(nil), want: Result{Found: true, OK: true}},
			{who: alice, payload: EncodeDelete(nil), want: Result{OK: true}},
		}, map[Owner]Usage{bob: {1, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, tt.limits)
			for i, st := range tt.steps {
				before, _ := s.Snapshot()
				usageBefore := s.Usage(st.who)
				got := s.Apply(st.who, st.payload)
				if st.errHas != "" {
					if got.Err != st.errHas || got.OK {
						t.Fatalf("step %d: result %+v, want failure %q", i, got, st.errHas)
					}
					after, _ := s.Snapshot()
					if !bytes.Equal(before, after) || s.Usage(st.who) != usageBefore {
						t.Fatalf("step %d: a refused write changed the store", i)
					}
					continue
				}
				if !resultsEqual(normalize(got), normalize(st.want)) {
					t.Fatalf("step %d: result %+v, want %+v", i, got, st.want)
				}
			}
			for _, who := range []Owner{alice, bob, testOwner} {
				if got := s.Usage(who); got != tt.wantUsage[who] {
					t.Errorf("usage of %x: %+v, want %+v", who[:1], got, tt.wantUsage[who])
				}
			}
			if s.Clients() != len(tt.wantUsage) {
				t.Errorf("%d clients in the usage table, want %d", s.Clients(), len(tt.wantUsage))
			}
		})
	}
}

// TestRestoreRecountsClientUsage: Restore counts each client's usage from
// the entries. A snapshot in which a client holds more than this store's
// share restores (it may predate the share), and that client can then only
// shrink until it is back within its share.
func TestRestoreRecountsClientUsage(t *testing.T) {
	src := newTestStore(t, Limits{})
	for _, k := range []string{"a", "b", "c"} {
		src.Apply(alice, EncodePut([]byte(k), []byte("1234")))
	}
	src.Apply(bob, EncodePut([]byte("x"), []byte("1")))
	snap, _ := src.Snapshot()

	dst := newTestStore(t, Limits{MaxClientKeys: 2, MaxClientBytes: 12})
	dst.Apply(testOwner, EncodePut([]byte("stale"), nil))
	if err := dst.Restore(snap); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if got, want := dst.Usage(alice), (Usage{3, 15}); got != want {
		t.Fatalf("alice's restored usage %+v, want %+v", got, want)
	}
	if got, want := dst.Usage(bob), (Usage{1, 2}); got != want {
		t.Fatalf("bob's restored usage %+v, want %+v", got, want)
	}
	if dst.Usage(testOwner) != (Usage{}) || dst.Clients() != 2 {
		t.Fatalf("Restore kept the usage of a client not in the snapshot (%d clients)", dst.Clients())
	}
	steps := []struct {
		payload []byte
		errHas  string
	}{
		{EncodePut([]byte("d"), nil), clientKeyLimit},
		{EncodePut([]byte("a"), []byte("12345")), clientByteLimit},
		{EncodePut([]byte("a"), []byte("1234")), ""}, // same size
		{EncodePut([]byte("a"), []byte("1")), ""},    // shrinks
		{EncodeDelete([]byte("b")), ""},
		{EncodePut([]byte("d"), nil), clientKeyLimit},  // 2 keys: still at the share
		{EncodePut([]byte("a"), []byte("123456")), ""}, // 12 bytes: within it again
	}
	for i, st := range steps {
		got := dst.Apply(alice, st.payload)
		if got.Err != st.errHas {
			t.Fatalf("step %d: error %q, want %q", i, got.Err, st.errHas)
		}
	}
	if got, want := dst.Usage(alice), (Usage{2, 12}); got != want {
		t.Fatalf("alice's usage %+v, want %+v", got, want)
	}
}

func TestClientLimitDefaults(t *testing.T) {
	s := newTestStore(t, Limits{MaxClientKeys: 5})
	got := s.Limits()
	if got.MaxClientKeys != 5 || got.MaxClientBytes != DefaultMaxClientBytes {
		t.Fatalf("Limits() = %+v", got)
	}
	if got := newTestStore(t, Limits{}).Limits(); got.MaxClientKeys != DefaultMaxClientKeys {
		t.Fatalf("default MaxClientKeys %d, want %d", got.MaxClientKeys, DefaultMaxClientKeys)
	}
	for _, l := range []Limits{{MaxClientKeys: -1}, {MaxClientBytes: -1}} {
		if _, err := New(l); err == nil || !strings.Contains(err.Error(), "negative") {
			t.Fatalf("New(%+v) = %v, want a negative-limit error", l, err)
		}
	}
}
