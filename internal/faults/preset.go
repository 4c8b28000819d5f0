package faults

import (
	"fmt"
	"slices"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// Presets are the schedule names Preset accepts.
var Presets = []string{"crash", "pause", "partition", "clock", "disk-full", "loss", "mixed"}

// Preset timing, as fractions of the load window: a single fault starts
// at presetStart and lasts presetLength; the rest of the window shows the
// recovery. Mixed runs its faults one after another from mixedStart.
const (
	presetStart  = 0.25
	presetLength = 0.2
	mixedStart   = 0.12
	mixedLength  = 0.08
	mixedGap     = 0.025
	// minFaultLength keeps a fault long enough to matter (timeouts fire).
	minFaultLength = time.Second
	minGap         = 500 * time.Millisecond
	// PresetClockOffset is the clock preset's jump forward.
	PresetClockOffset = 2 * time.Second
	// PresetLossRate is the loss preset's drop rate.
	PresetLossRate = 0.5
)

// Preset builds the named schedule for n replicas and a load window:
//
//	crash      SIGKILL replica 1, restart it after the fault
//	pause      SIGSTOP replica 0 (the leader of the first term), then SIGCONT
//	partition  cut the last f replicas off from the others, then heal
//	clock      move the last replica's clock 2 s forward, then back
//	disk-full  fill replica 1's disk (it stops), then clear and restart it
//	loss       drop half of what replica 0 (the first leader) sends, one way
//	mixed      all of the above, one after another
func Preset(name string, n int, window time.Duration) (Schedule, error) {
	if n < 4 {
		return Schedule{}, fmt.Errorf("faults: preset %q needs at least 4 replicas (f >= 1), have %d", name, n)
	}
	f, err := crypto.FaultsTolerated(n)
	if err != nil {
		return Schedule{}, fmt.Errorf("faults: preset %q: %w", name, err)
	}
	single := func(kind Kind, at, length time.Duration) Fault {
		ft := Fault{At: at, Duration: length, Kind: kind}
		switch kind {
		case Crash, DiskFull:
			ft.Replicas = []int{1}
		case Pause:
			ft.Replicas = []int{0}
		case Partition:
			for r := n - f; r < n; r++ {
				ft.Replicas = append(ft.Replicas, r)
			}
		case Clock:
			ft.Replicas, ft.ClockOffset = []int{n - 1}, PresetClockOffset
		case Loss:
			ft.Replicas, ft.LossRate = []int{0}, PresetLossRate
		}
		return ft
	}
	frac := func(x float64, floor time.Duration) time.Duration {
		return max(time.Duration(x*float64(window)).Round(time.Millisecond), floor)
	}
	var s Schedule
	switch {
	case name == "mixed":
		at, length, gap := frac(mixedStart, minGap), frac(mixedLength, minFaultLength), frac(mixedGap, minGap)
		for _, kind := range []Kind{Crash, Pause, Partition, Clock, DiskFull, Loss} {
			s.Faults = append(s.Faults, single(kind, at, length))
			at += length + gap
		}
	case slices.Contains(Presets, name):
		s.Faults = []Fault{single(Kind(name), frac(presetStart, minGap), frac(presetLength, minFaultLength))}
	default:
		return Schedule{}, fmt.Errorf("faults: unknown preset %q; want one of %v or a schedule file", name, Presets)
	}
	if end := s.End(); end >= window {
		return Schedule{}, fmt.Errorf("faults: preset %q needs a longer run: its faults end at %v, the load lasts %v", name, end, window)
	}
	return s, s.Validate(n)
}
