package faults

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Applied is one fault as it happened; its JSON form is an entry of the
// run summary's "faults".
type Applied struct {
	Kind     Kind  `json:"kind"`
	Replicas []int `json:"replicas"`
	// StartS and EndS are seconds from the start of the load: when the
	// fault was injected and when it was undone.
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
	// ClockOffsetS is a clock fault's shift.
	ClockOffsetS float64 `json:"clock_offset_s,omitempty"`
	// Detail says what was observed (a replica that stopped, restarts).
	Detail string `json:"detail,omitempty"`
	// Error is set when injecting or undoing failed.
	Error string `json:"error,omitempty"`
}

// exitWait bounds the wait for a disk-full replica that is still running
// when its fault ends, and for a killed one to go.
const exitWait = 5 * time.Second

// Run executes s against c, taking start as the start of the load: each
// fault is injected at start+At and undone at start+End. It returns once
// every fault was undone. When ctx ends first, the faults in force are
// undone at once (paused replicas resumed, killed ones restarted, links
// healed) and the rest are skipped.
func Run(ctx context.Context, s Schedule, c Cluster, start time.Time) []Applied {
	type event struct {
		at    time.Duration
		undo  bool
		fault int
	}
	var events []event
	for i, f := range s.Faults {
		events = append(events, event{f.At, false, i}, event{f.End(), true, i})
	}
	slices.SortStableFunc(events, func(a, b event) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		if a.undo != b.undo { // undo first: a fault ending as another starts
			if a.undo {
				return -1
			}
			return 1
		}
		return 0
	})
	applied := make([]Applied, len(s.Faults))
	active := make([]bool, len(s.Faults))
	since := func() float64 { return time.Since(start).Seconds() }
	// Undoing must happen even after ctx ended: it uses its own context.
	undoCtx := context.WithoutCancel(ctx)
	for _, ev := range events {
		f := s.Faults[ev.fault]
		a := &applied[ev.fault]
		if !ev.undo {
			if !sleepUntil(ctx, start.Add(ev.at)) {
				break
			}
			*a = Applied{Kind: f.Kind, Replicas: slices.Clone(f.Replicas), StartS: round3(since()), ClockOffsetS: f.ClockOffset.Seconds()}
			if err := inject(ctx, c, f); err != nil {
				a.Error = err.Error()
			}
			active[ev.fault] = true
			continue
		}
		if !active[ev.fault] {
			continue
		}
		if !sleepUntil(ctx, start.Add(ev.at)) {
			break
		}
		detail, err := undo(undoCtx, c, f)
		a.EndS, a.Detail = round3(since()), detail
		if err != nil {
			a.Error = joinErr(a.Error, err.Error())
		}
		active[ev.fault] = false
	}
	// Anything still in force (ctx ended) is undone now, latest first.
	for i := len(s.Faults) - 1; i >= 0; i-- {
		if active[i] {
			detail, err := undo(undoCtx, c, s.Faults[i])
			applied[i].EndS, applied[i].Detail = round3(since()), joinErr(detail, "undone early: the run ended")
			if err != nil {
				applied[i].Error = joinErr(applied[i].Error, err.Error())
			}
		}
	}
	return slices.DeleteFunc(applied, func(a Applied) bool { return a.Kind == "" })
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// sleepUntil waits until t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

func inject(ctx context.Context, c Cluster, f Fault) error {
	var errs []error
	switch f.Kind {
	case Crash:
		for _, r := range f.Replicas {
			errs = append(errs, c.Kill(r))
		}
	case Pause:
		for _, r := range f.Replicas {
			errs = append(errs, c.Pause(r))
		}
	case Partition:
		errs = append(errs, setPartition(ctx, c, f.Replicas, true))
	case Loss:
		errs = append(errs, setLoss(ctx, c, f.Replicas, f.LossRate))
	case Clock:
		for _, r := range f.Replicas {
			errs = append(errs, post(ctx, c.ControlAddr(r), "/debug/fault/clock", url.Values{"offset": {f.ClockOffset.String()}}))
		}
	case DiskFull:
		for _, r := range f.Replicas {
			errs = append(errs, post(ctx, c.ControlAddr(r), "/debug/fault/disk-full", url.Values{"on": {"true"}}))
		}
	}
	return errors.Join(errs...)
}

// undo ends a fault and describes what it saw.
func undo(ctx context.Context, c Cluster, f Fault) (string, error) {
	var errs []error
	var detail []string
	switch f.Kind {
	case Crash:
		for _, r := range f.Replicas {
			errs = append(errs, c.Restart(r))
			detail = append(detail, fmt.Sprintf("replica %d restarted", r))
		}
	case Pause:
		for _, r := range f.Replicas {
			errs = append(errs, c.Resume(r))
		}
	case Partition:
		errs = append(errs, setPartition(ctx, c, f.Replicas, false))
	case Loss:
		errs = append(errs, setLoss(ctx, c, f.Replicas, 0))
	case Clock:
		for _, r := range f.Replicas {
			errs = append(errs, post(ctx, c.ControlAddr(r), "/debug/fault/clock", url.Values{"offset": {"0s"}}))
		}
	case DiskFull:
		for _, r := range f.Replicas {
			select {
			case <-c.Exited(r):
				detail = append(detail, fmt.Sprintf("replica %d stopped on the full disk and was restarted", r))
				errs = append(errs, c.Restart(r))
			default:
				// It wrote nothing while the disk was full: clear it. If it
				// is stopping right now, the request fails; restart it.
				err := post(ctx, c.ControlAddr(r), "/debug/fault/disk-full", url.Values{"on": {"false"}})
				if err == nil {
					detail = append(detail, fmt.Sprintf("replica %d kept running; disk cleared", r))
					break
				}
				select {
				case <-c.Exited(r):
					detail = append(detail, fmt.Sprintf("replica %d stopped on the full disk and was restarted", r))
					errs = append(errs, c.Restart(r))
				case <-time.After(exitWait):
					errs = append(errs, err)
				}
			}
		}
	}
	return joinDetail(detail), errors.Join(errs...)
}

func joinDetail(parts []string) string {
	out := ""
	for _, p := range parts {
		out = joinErr(out, p)
	}
	return out
}

// setPartition blocks or heals every link between side and the others, on
// both ends of each link.
func setPartition(ctx context.Context, c Cluster, side []int, blocked bool) error {
	var errs []error
	for a := range c.N() {
		for b := range c.N() {
			if a == b || slices.Contains(side, a) == slices.Contains(side, b) {
				continue
			}
			errs = append(errs, post(ctx, c.ControlAddr(a), "/debug/fault/link", url.Values{
				"peer": {strconv.Itoa(b)}, "blocked": {strconv.FormatBool(blocked)},
			}))
		}
	}
	return errors.Join(errs...)
}

// setLoss sets the drop rate of every link from the senders to the other
// replicas, on the sending side only, so the loss is one-way. Other link
// parameters (an emulated wide-area delay) stay as they are.
func setLoss(ctx context.Context, c Cluster, senders []int, rate float64) error {
	var errs []error
	for _, a := range senders {
		for b := range c.N() {
			if a == b {
				continue
			}
			errs = append(errs, post(ctx, c.ControlAddr(a), "/debug/fault/link", url.Values{
				"peer": {strconv.Itoa(b)}, "loss": {strconv.FormatFloat(rate, 'f', -1, 64)},
			}))
		}
	}
	return errors.Join(errs...)
}
