package kvstore

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/pkg/app"
)

// testOwner is the client the single-client tests act as.
var testOwner = Owner{0xa1}

var (
	alice = Owner{1}
	bob   = Owner{2}
)

// TestKeysBelongToTheirClient: a client reads, overwrites and deletes only
// its own keys, whatever names it uses.
func TestKeysBelongToTheirClient(t *testing.T) {
	s := newTestStore(t, Limits{})
	k := []byte("shared-name")
	steps := []struct {
		who     Owner
		payload []byte
		want    Result
	}{
		{alice, EncodePut(k, []byte("alice's")), Result{OK: true}},
		{bob, EncodeGet(k), Result{OK: true}},                                          // bob sees nothing
		{bob, EncodeDelete(k), Result{OK: true}},                                       // and deletes nothing
		{bob, EncodeCAS(k, []byte("alice's"), []byte("bob's")), Result{}},              // cannot swap it
		{bob, EncodePut(k, []byte("bob's")), Result{OK: true}},                         // his own key
		{alice, EncodeGet(k), Result{Found: true, OK: true, Value: []byte("alice's")}}, // untouched
		{bob, EncodeGet(k), Result{Found: true, OK: true, Value: []byte("bob's")}},
		{alice, EncodeDelete(k), Result{Found: true, OK: true}},
		{bob, EncodeGet(k), Result{Found: true, OK: true, Value: []byte("bob's")}},
	}
	for i, st := range steps {
		if got := s.Apply(st.who, st.payload); !resultsEqual(normalize(got), normalize(st.want)) {
			t.Fatalf("step %d: %+v, want %+v", i, got, st.want)
		}
	}
	if v, ok := s.Get(alice, k); ok {
		t.Fatalf("alice's deleted key reads %q", v)
	}
	if v, ok := s.Get(bob, k); !ok || string(v) != "bob's" {
		t.Fatalf("bob's key reads %q, %v", v, ok)
	}
	// Namespaces survive a snapshot.
	snap, _ := s.Snapshot()
	r := newTestStore(t, Limits{})
	if err := r.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Get(alice, k); ok {
		t.Fatal("restored store gives alice bob's key")
	}
	if v, ok := r.Get(bob, k); !ok || string(v) != "bob's" {
		t.Fatalf("restored bob's key reads %q, %v", v, ok)
	}
}

// TestExecuteRespectsResultLimits: reads whose results would break the
// limits fail, deterministically, and change nothing.
func TestExecuteRespectsResultLimits(t *testing.T) {
	big := bytes.Repeat([]byte("v"), 60_000)
	bigResult := successResultBytes(big)
	tests := []struct {
		name      string
		limits    app.ResultLimits
		gets      int
		wantOK    int
		wantError string
	}{
		{"defaults: 4 MiB a batch", app.ResultLimits{}, 2000, app.DefaultMaxBatchBytes / bigResult, app.ReasonBatchBudget},
		{"batch budget", app.ResultLimits{MaxBatchBytes: 5 * bigResult}, 20, 5, app.ReasonBatchBudget},
		{"block budget", app.ResultLimits{MaxTotalBytes: 5 * bigResult}, 20, 5, app.ReasonBlockBudget},
		{"exactly the budget", app.ResultLimits{MaxTotalBytes: 3 * bigResult}, 3, 3, ""},
		{"one result too large", app.ResultLimits{MaxResultBytes: bigResult - 1}, 4, 0, "exceeds limit"},
		{"one result just fits", app.ResultLimits{MaxResultBytes: bigResult}, 4, 4, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, Limits{})
			s.Apply(alice, EncodePut([]byte("k"), big))
			cmds := make([]app.Command, tt.gets)
			for i := range cmds {
				cmds[i] = app.Command{Client: alice, Seq: uint64(i + 1), Payload: EncodeGet([]byte("k"))}
			}
			results := s.Execute(1, cmds, tt.limits)
			ok, total := 0, 0
			for i, r := range results {
				res, err := DecodeResult(r)
				if err != nil {
					t.Fatalf("result %d: %v", i, err)
				}
				if res.Err == "" {
					ok++
					total += len(r)
					continue
				}
				if tt.wantError == "" || !strings.Contains(res.Err, tt.wantError) {
					t.Fatalf("result %d: error %q, want %q", i, res.Err, tt.wantError)
				}
				if ok != min(i, tt.wantOK) {
					t.Fatalf("result %d fails after %d successes: failures must come last", i, ok)
				}
			}
			if ok != tt.wantOK {
				t.Fatalf("%d reads succeeded, want %d", ok, tt.wantOK)
			}
			lim := tt.limits.WithDefaults()
			if total > lim.MaxTotalBytes || total > lim.MaxBatchBytes {
				t.Fatalf("%d result bytes, budgets %d and %d", total, lim.MaxBatchBytes, lim.MaxTotalBytes)
			}
		})
	}
}

// TestCASOverResultBudgetDoesNotSwap: a CAS returns the old value, so one
// whose result is refused must not swap either.
func TestCASOverResultBudgetDoesNotSwap(t *testing.T) {
	s := newTestStore(t, Limits{})
	old := bytes.Repeat([]byte("o"), 1000)
	s.Apply(alice, EncodePut([]byte("k"), old))
	res := s.Execute(1, []app.Command{{Client: alice, Seq: 1, Payload: EncodeCAS([]byte("k"), old, []byte("new"))}},
		app.ResultLimits{MaxResultBytes: 100})
	got, err := DecodeResult(res[0])
	if err != nil || got.Err == "" {
		t.Fatalf("CAS result %+v, %v: want a failure", got, err)
	}
	if v, _ := s.Get(alice, []byte("k")); !bytes.Equal(v, old) {
		t.Fatal("a CAS whose result was refused swapped the value")
	}
}

func TestErrorResult(t *testing.T) {
	s := newTestStore(t, Limits{})
	for _, reason := range []string{"", "result budget of batch exceeded", strings.Repeat("x", 10_000)} {
		b := s.ErrorResult(reason)
		if len(b) > app.MaxErrorResultBytes {
			t.Fatalf("ErrorResult(%d bytes) is %d bytes, limit %d", len(reason), len(b), app.MaxErrorResultBytes)
		}
		res, err := DecodeResult(b)
		if err != nil || res.Err == "" {
			t.Fatalf("ErrorResult(%q) decodes to %+v, %v", reason, res, err)
		}
	}
}
