package faults

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// Kind names a fault.
type Kind string

// The faults a schedule can hold.
const (
	// Crash kills the replicas' processes (SIGKILL) and restarts them when
	// the fault ends.
	Crash Kind = "crash"
	// Pause freezes the replicas' processes (SIGSTOP) and resumes them
	// (SIGCONT) when the fault ends.
	Pause Kind = "pause"
	// Partition blocks every link between the listed replicas and the
	// others, in both directions, and heals them when the fault ends.
	Partition Kind = "partition"
	// Clock shifts the replicas' clocks by ClockOffset and back.
	Clock Kind = "clock"
	// DiskFull makes the replicas' disks report themselves full (a node
	// then stops rather than acknowledge what it could not persist); when
	// the fault ends the disk is cleared and a stopped replica restarted.
	DiskFull Kind = "disk-full"
	// Loss drops a fraction (LossRate) of the frames the replicas send to
	// every other replica, in that direction only: they still hear the
	// others, the others hear them only in part. It ends when the fault
	// ends.
	Loss Kind = "loss"
)

// Kinds lists every fault kind.
var Kinds = []Kind{Crash, Pause, Partition, Clock, DiskFull, Loss}

func (k Kind) valid() bool { return slices.Contains(Kinds, k) }

// Fault is one entry of a schedule.
type Fault struct {
	// At is when the fault starts, from the start of the load.
	At time.Duration
	// Duration is how long it lasts.
	Duration time.Duration
	Kind     Kind
	// Replicas are the replicas it hits; for a partition, one side.
	Replicas []int
	// ClockOffset is the shift of a Clock fault.
	ClockOffset time.Duration
	// LossRate is the fraction of frames a Loss fault drops, in (0, 1].
	LossRate float64
}

// End is when the fault ends, from the start of the load.
func (f Fault) End() time.Duration { return f.At + f.Duration }

// Limits of a schedule.
const (
	MaxFaults      = 256
	MaxClockOffset = time.Hour
)

// Schedule is a list of faults; they may overlap in time.
type Schedule struct {
	Faults []Fault
}

// End is when the last fault ends (0 for an empty schedule).
func (s Schedule) End() time.Duration {
	var end time.Duration
	for _, f := range s.Faults {
		end = max(end, f.End())
	}
	return end
}

// Start is when the first fault starts (0 for an empty schedule).
func (s Schedule) Start() time.Duration {
	if len(s.Faults) == 0 {
		return 0
	}
	start := s.Faults[0].At
	for _, f := range s.Faults[1:] {
		start = min(start, f.At)
	}
	return start
}

// faulty is the set of replicas a fault makes faulty: its replicas, or for
// a partition the smaller side.
func (f Fault) faulty(n int) []int {
	if f.Kind != Partition || 2*len(f.Replicas) <= n {
		return f.Replicas
	}
	var other []int
	for i := range n {
		if !slices.Contains(f.Replicas, i) {
			other = append(other, i)
		}
	}
	return other
}

// Validate checks s against a cluster of n replicas: known kinds,
// replicas in range and distinct, positive durations, and at no moment
// more than f = (n-1)/3 faulty replicas.
func (s Schedule) Validate(n int) error {
	if len(s.Faults) > MaxFaults {
		return fmt.Errorf("faults: %d faults, at most %d", len(s.Faults), MaxFaults)
	}
	f, err := crypto.FaultsTolerated(n)
	if err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	var errs []error
	for i, ft := range s.Faults {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("faults: fault %d (%s): %s", i, ft.Kind, fmt.Sprintf(format, args...)))
		}
		if !ft.Kind.valid() {
			bad("unknown kind; want one of %v", Kinds)
			continue
		}
		if ft.At < 0 || ft.Duration <= 0 {
			bad("at %v, duration %v: want at >= 0 and a positive duration", ft.At, ft.Duration)
		}
		if len(ft.Replicas) == 0 {
			bad("no replicas")
		}
		seen := map[int]bool{}
		for _, r := range ft.Replicas {
			if r < 0 || r >= n || seen[r] {
				bad("replica %d out of range 0..%d or repeated", r, n-1)
			}
			seen[r] = true
		}
		if ft.Kind == Partition && len(ft.Replicas) >= n {
			bad("a partition needs replicas on both sides")
		}
		if ft.Kind == Loss && !(ft.LossRate > 0 && ft.LossRate <= 1) {
			bad("loss rate %v: want a fraction in (0, 1]", ft.LossRate)
		}
		if ft.Kind == Clock && (ft.ClockOffset == 0 || ft.ClockOffset.Abs() > MaxClockOffset) {
			bad("clock offset %v: want a non-zero offset within %v", ft.ClockOffset, MaxClockOffset)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// The faulty set only grows at fault starts, so checking each start
	// covers every moment.
	for i, ft := range s.Faults {
		down := map[int]bool{}
		for _, other := range s.Faults {
			if other.At <= ft.At && ft.At < other.End() {
				for _, r := range other.faulty(n) {
					down[r] = true
				}
			}
		}
		if len(down) > f {
			return fmt.Errorf("faults: at %v (fault %d) %d replicas are faulty at once; a cluster of %d tolerates %d", ft.At, i, len(down), n, f)
		}
	}
	return nil
}
