package node

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/hotstuff"
)

// syncBuffer is a log sink that goroutines may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// jsonLines parses every line of a JSON log, failing the test on a line
// that is not one JSON object or that repeats a key (slog writes a key as
// often as it is added, which JSON readers resolve each their own way).
func jsonLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if line == "" {
			continue
		}
		if dup := duplicateKey(line); dup != "" {
			t.Errorf("log line %d repeats key %q: %s", i+1, dup, line)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %d is not JSON (%v): %s", i+1, err, line)
		}
		out = append(out, m)
	}
	return out
}

// duplicateKey returns a key that appears twice in one object of line,
// at any depth ("" if none or if line is not JSON).
func duplicateKey(line string) string {
	dec := json.NewDecoder(strings.NewReader(line))
	type frame struct {
		object bool
		keys   map[string]bool
		expect bool // next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return ""
		}
		if err != nil {
			return ""
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.expect {
			if k, ok := tok.(string); ok {
				if top.keys[k] {
					return k
				}
				top.keys[k] = true
				top.expect = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, expect: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: the enclosing object expects a key next.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].expect = true
		}
	}
}

func TestDuplicateKey(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{`{"a":1,"b":2}`, ""},
		{`{"a":1,"a":2}`, "a"},
		{`{"a":{"b":1,"b":2}}`, "b"},
		{`{"a":{"b":1},"b":2}`, ""},
		{`{"a":[{"x":1},{"x":2}],"y":"a"}`, ""},
		{`{"replica":0,"msg":"m","replica":0}`, "replica"},
	} {
		if got := duplicateKey(tc.line); got != tc.want {
			t.Errorf("duplicateKey(%s) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

// A flapping cluster writes at most one view-change line per interval: the
// first change at once, with its reason, then one summary counting the
// rest by reason; nothing is lost at shutdown.
func TestViewChangeLogIsRateLimited(t *testing.T) {
	var buf syncBuffer
	l := newViewChangeLog(slog.New(slog.NewJSONHandler(&buf, nil)), 10*time.Second)
	t0 := time.Unix(1000, 0)
	reasons := []hotstuff.ViewChangeReason{hotstuff.ViewTimedOut, hotstuff.ViewJoinedTimeouts, hotstuff.ViewSkipped}
	// 1,000 view changes over 9.9 s, 10 per Ready.
	view := uint64(10)
	for i := 0; i < 100; i++ {
		ev := hotstuff.Events{}
		for j := 0; j < 10; j++ {
			ev.ViewChanges = append(ev.ViewChanges, hotstuff.ViewChange{From: view, To: view + 1, Reason: reasons[(i*10+j)%3], Leader: 2})
			view++
		}
		l.add(t0.Add(time.Duration(i)*99*time.Millisecond), &ev)
	}
	lines := jsonLines(t, buf.String())
	if len(lines) != 1 || lines[0]["msg"] != "view change" || lines[0]["reason"] != "timeout certificate" {
		t.Fatalf("within one interval: %d lines, want the first change alone:\n%s", len(lines), buf.String())
	}
	// The interval passes: the next Ready (even without changes) flushes.
	l.add(t0.Add(10*time.Second), &hotstuff.Events{})
	lines = jsonLines(t, buf.String())
	if len(lines) != 2 {
		t.Fatalf("after the interval: %d lines, want 2:\n%s", len(lines), buf.String())
	}
	s := lines[1]
	if s["msg"] != "view changes" || s["count"] != float64(999) || s["timeout_certificate"] != float64(333) ||
		s["joined_timeouts"] != float64(333) || s["skipped_views"] != float64(333) || s["from_view"] != float64(11) || s["to_view"] != float64(1010) {
		t.Fatalf("summary %v", s)
	}
	// Changes past the core's bound are counted; shutdown flushes.
	l.add(t0.Add(11*time.Second), &hotstuff.Events{MoreViewChanges: 7})
	l.flush(t0.Add(12*time.Second), true)
	lines = jsonLines(t, buf.String())
	if len(lines) != 3 || lines[2]["count"] != float64(7) {
		t.Fatalf("at shutdown: %d lines, last %v", len(lines), lines[len(lines)-1])
	}
	// Quiet again for an interval: the next change is logged at once.
	l.add(t0.Add(30*time.Second), &hotstuff.Events{ViewChanges: []hotstuff.ViewChange{{From: 5000, To: 5001, Reason: hotstuff.ViewSkipped}}})
	lines = jsonLines(t, buf.String())
	if len(lines) != 4 || lines[3]["msg"] != "view change" || lines[3]["reason"] != "skipped views" {
		t.Fatalf("after a quiet interval: %v", lines[len(lines)-1])
	}
}

// A catch-up is logged when the core starts it and when it ends, at INFO,
// with the views and heights, and how long it took.
func TestCatchUpIsLogged(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	n := &Node{log: log, viewLog: newViewChangeLog(log, 10*time.Second), catchLog: newCatchUpLog(log)}
	n.logEvents(&hotstuff.Events{CatchUpStarted: &hotstuff.CatchUp{View: 5, Height: 3, TargetView: 80}}, 0)
	n.logEvents(&hotstuff.Events{CatchUpFinished: &hotstuff.CatchUp{View: 81, Height: 60, TargetView: 80}}, 0)
	lines := jsonLines(t, buf.String())
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	started, finished := lines[0], lines[1]
	if started["msg"] != "catch-up started" || started["level"] != "INFO" || started["view"] != float64(5) ||
		started["committed"] != float64(3) || started["certified_view"] != float64(80) {
		t.Errorf("started: %v", started)
	}
	if finished["msg"] != "catch-up finished" || finished["view"] != float64(81) || finished["committed"] != float64(60) ||
		finished["took"] == nil {
		t.Errorf("finished: %v", finished)
	}
}
