package soak

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pompe-bft/pompe/internal/faults"
)

// Cycle builds the schedule of a soak: spec (a preset or a schedule
// file, as `pompe local --faults` takes it) laid out for one cycle, and
// repeated every cycle until duration. Each cycle's faults end before the
// next begins, so the cluster recovers between them. The number of
// cycles is bounded by faults.MaxFaults: a long soak spaces them out.
func Cycle(spec string, n int, cycle, duration time.Duration) (faults.Schedule, error) {
	if cycle <= 0 || duration <= 0 {
		return faults.Schedule{}, fmt.Errorf("soak: fault cycle %v and duration %v must be positive", cycle, duration)
	}
	cycle = min(cycle, duration)
	one, err := faults.Load(spec, n, cycle)
	if err != nil {
		return faults.Schedule{}, err
	}
	if len(one.Faults) == 0 {
		return faults.Schedule{}, fmt.Errorf("soak: the schedule %q has no faults", spec)
	}
	cycles := int(duration / cycle)
	cycles = min(cycles, faults.MaxFaults/len(one.Faults))
	if cycles < 1 {
		return faults.Schedule{}, fmt.Errorf("soak: the schedule %q has more than %d faults", spec, faults.MaxFaults)
	}
	period := duration / time.Duration(cycles)
	var s faults.Schedule
	for c := range cycles {
		for _, f := range one.Faults {
			f.At += time.Duration(c) * period
			f.Replicas = append([]int(nil), f.Replicas...)
			s.Faults = append(s.Faults, f)
		}
	}
	return s, s.Validate(n)
}

// scheduleTOML writes s in the schedule file format of internal/faults.
func scheduleTOML(s faults.Schedule) string {
	var b strings.Builder
	for _, f := range s.Faults {
		fmt.Fprintf(&b, "[[fault]]\nat = %q\nduration = %q\nkind = %q\nreplicas = %s\n",
			f.At.String(), f.Duration.String(), string(f.Kind), strings.Join(strings.Fields(fmt.Sprint(f.Replicas)), ", "))
		switch {
		case f.ClockOffset != 0:
			fmt.Fprintf(&b, "params = { offset = %q }\n", f.ClockOffset.String())
		case f.LossRate != 0:
			fmt.Fprintf(&b, "params = { rate = %g }\n", f.LossRate)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// writeSchedule writes s to path, where `pompe local` reads it back.
func writeSchedule(path string, s faults.Schedule) error {
	if err := os.WriteFile(path, []byte(scheduleTOML(s)), 0o644); err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	return nil
}
