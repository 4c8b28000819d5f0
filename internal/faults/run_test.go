package faults

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeCluster records what a schedule did to it; its control endpoints are
// one test server.
type fakeCluster struct {
	n      int
	srv    *httptest.Server
	mu     sync.Mutex
	calls  []string
	exited []chan struct{}
}

func newFakeCluster(t *testing.T, n int) *fakeCluster {
	c := &fakeCluster{n: n}
	for range n {
		c.exited = append(c.exited, make(chan struct{}))
	}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		c.note(r.URL.Path + "?" + r.URL.RawQuery)
		if r.URL.Path == "/debug/fault/disk-full" && r.URL.Query().Get("on") == "true" {
			// The replica stops at its next write.
			c.mu.Lock()
			close(c.exited[1])
			c.mu.Unlock()
		}
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *fakeCluster) note(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, s)
}

func (c *fakeCluster) N() int                 { return c.n }
func (c *fakeCluster) Kill(r int) error       { c.note(fmt.Sprint("kill ", r)); return nil }
func (c *fakeCluster) Pause(r int) error      { c.note(fmt.Sprint("pause ", r)); return nil }
func (c *fakeCluster) Resume(r int) error     { c.note(fmt.Sprint("resume ", r)); return nil }
func (c *fakeCluster) ControlAddr(int) string { return strings.TrimPrefix(c.srv.URL, "http://") }
func (c *fakeCluster) Exited(r int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exited[r]
}
func (c *fakeCluster) Restart(r int) error {
	c.note(fmt.Sprint("restart ", r))
	c.mu.Lock()
	c.exited[r] = make(chan struct{})
	c.mu.Unlock()
	return nil
}

func (c *fakeCluster) log() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

func TestRunAppliesAndUndoesInOrder(t *testing.T) {
	c := newFakeCluster(t, 4)
	ms := time.Millisecond
	s := Schedule{Faults: []Fault{
		{At: 10 * ms, Duration: 20 * ms, Kind: Crash, Replicas: []int{1}},
		{At: 40 * ms, Duration: 20 * ms, Kind: Pause, Replicas: []int{0}},
		{At: 70 * ms, Duration: 20 * ms, Kind: Partition, Replicas: []int{3}},
		{At: 100 * ms, Duration: 20 * ms, Kind: Clock, Replicas: []int{2}, ClockOffset: 2 * time.Second},
		{At: 130 * ms, Duration: 20 * ms, Kind: DiskFull, Replicas: []int{1}},
		{At: 160 * ms, Duration: 20 * ms, Kind: Loss, Replicas: []int{0}, LossRate: 0.5},
	}}
	applied := Run(context.Background(), s, c, time.Now())
	want := []string{
		"kill 1", "restart 1", "pause 0", "resume 0",
		// partition: 3 blocks 0, 1, 2 and each of them blocks 3, then all heal
		"/debug/fault/link?blocked=true&peer=3", "/debug/fault/link?blocked=true&peer=3", "/debug/fault/link?blocked=true&peer=3",
		"/debug/fault/link?blocked=true&peer=0", "/debug/fault/link?blocked=true&peer=1", "/debug/fault/link?blocked=true&peer=2",
		"/debug/fault/link?blocked=false&peer=3", "/debug/fault/link?blocked=false&peer=3", "/debug/fault/link?blocked=false&peer=3",
		"/debug/fault/link?blocked=false&peer=0", "/debug/fault/link?blocked=false&peer=1", "/debug/fault/link?blocked=false&peer=2",
		"/debug/fault/clock?offset=2s", "/debug/fault/clock?offset=0s",
		"/debug/fault/disk-full?on=true", "restart 1",
		// loss: only what replica 0 sends, then back to none
		"/debug/fault/link?loss=0.5&peer=1", "/debug/fault/link?loss=0.5&peer=2", "/debug/fault/link?loss=0.5&peer=3",
		"/debug/fault/link?loss=0&peer=1", "/debug/fault/link?loss=0&peer=2", "/debug/fault/link?loss=0&peer=3",
	}
	if got := c.log(); !slices.Equal(got, want) {
		t.Fatalf("calls\n%v\nwant\n%v", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(applied) != 6 {
		t.Fatalf("applied %+v", applied)
	}
	for i, a := range applied {
		if a.Error != "" || a.EndS < a.StartS || a.Kind != s.Faults[i].Kind {
			t.Errorf("fault %d: %+v", i, a)
		}
	}
	if !strings.Contains(applied[4].Detail, "stopped on the full disk") {
		t.Errorf("disk-full detail %q", applied[4].Detail)
	}
}

func TestRunUndoesEverythingWhenCancelled(t *testing.T) {
	c := newFakeCluster(t, 4)
	s := Schedule{Faults: []Fault{
		{At: 0, Duration: time.Hour, Kind: Pause, Replicas: []int{0}},
		{At: 2 * time.Hour, Duration: time.Second, Kind: Crash, Replicas: []int{1}},
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan []Applied)
	go func() { done <- Run(ctx, s, c, time.Now()) }()
	deadline := time.After(10 * time.Second)
	for !slices.Contains(c.log(), "pause 0") {
		select {
		case <-deadline:
			t.Fatal("pause never applied")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	applied := <-done
	if got := c.log(); !slices.Equal(got, []string{"pause 0", "resume 0"}) {
		t.Fatalf("calls %v: want the pause undone and the crash skipped", got)
	}
	if len(applied) != 1 || !strings.Contains(applied[0].Detail, "undone early") {
		t.Fatalf("applied %+v", applied)
	}
}

func TestRunReportsControlFailures(t *testing.T) {
	c := newFakeCluster(t, 4)
	c.srv.Close() // every control request fails
	s := Schedule{Faults: []Fault{{At: 0, Duration: time.Millisecond, Kind: Clock, Replicas: []int{2}, ClockOffset: time.Second}}}
	applied := Run(context.Background(), s, c, time.Now())
	if len(applied) != 1 || applied[0].Error == "" {
		t.Fatalf("a failed injection not reported: %+v", applied)
	}
}
