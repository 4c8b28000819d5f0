package ratelog

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newTest(maxKeys int) (*Logger, *bytes.Buffer, *clock) {
	var out bytes.Buffer
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	l := New(slog.New(slog.NewTextHandler(&out, nil)), time.Second, maxKeys)
	l.now = c.now
	return l, &out, c
}

func TestOneLinePerKeyPerInterval(t *testing.T) {
	l, out, c := newTest(0)
	wrote := 0
	for range 1000 {
		if l.Log(slog.LevelWarn, "10.0.0.0/24 handshake", "handshake refused") {
			wrote++
		}
	}
	if wrote != 1 {
		t.Fatalf("%d lines written for one key in one interval, want 1", wrote)
	}
	// Another key is not held back by the first.
	if !l.Log(slog.LevelWarn, "10.0.1.0/24 handshake", "handshake refused") {
		t.Fatal("a second key was suppressed")
	}
	c.advance(time.Second)
	if !l.Log(slog.LevelWarn, "10.0.0.0/24 handshake", "handshake refused") {
		t.Fatal("the key was still suppressed after the interval")
	}
	s := out.String()
	if !strings.Contains(s, "suppressed=999") {
		t.Errorf("the key's next line does not count what was held back:\n%s", s)
	}
	if !strings.Contains(s, "log lines suppressed by rate limit") || !strings.Contains(s, "lines=999") {
		t.Errorf("no periodic total of suppressed lines:\n%s", s)
	}
	if n := strings.Count(s, "handshake refused"); n != 3 {
		t.Errorf("%d lines written, want 3:\n%s", n, s)
	}
}

func TestKeyTableIsBounded(t *testing.T) {
	l, out, c := newTest(8)
	for i := range 10_000 {
		l.Log(slog.LevelInfo, fmt.Sprint("source ", i), "refused")
	}
	if l.Keys() > 8 {
		t.Fatalf("%d keys remembered, bound 8", l.Keys())
	}
	// 8 keys (the last one the overflow key) wrote one line each.
	if n := strings.Count(out.String(), "msg=refused"); n != 8 {
		t.Fatalf("%d lines for 10,000 keys, want 8", n)
	}
	c.advance(2 * time.Second)
	l.Log(slog.LevelInfo, "later", "refused")
	if l.Keys() != 1 {
		t.Errorf("idle keys were not forgotten: %d remembered", l.Keys())
	}
}
