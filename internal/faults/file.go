package faults

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/pompe-bft/pompe/internal/config"
)

// maxScheduleBytes bounds a schedule file; real ones are a few lines.
const maxScheduleBytes = 1 << 20

// fileFault is one [[fault]] table of a schedule file.
type fileFault struct {
	At       config.Duration `toml:"at"`
	Duration config.Duration `toml:"duration"`
	Kind     string          `toml:"kind"`
	Replica  *int            `toml:"replica"`
	Replicas []int           `toml:"replicas"`
	Params   struct {
		Offset config.Duration `toml:"offset"`
		Rate   float64         `toml:"rate"`
	} `toml:"params"`
}

// ParseSchedule reads a TOML schedule for n replicas:
//
//	[[fault]]
//	at = "5s"          # from the start of the load
//	duration = "3s"
//	kind = "partition" # crash, pause, partition, clock, disk-full, loss
//	replicas = [3]     # or replica = 3; a partition's one side
//
//	[[fault]]
//	at = "10s"
//	duration = "2s"
//	kind = "clock"
//	replica = 2
//	params = { offset = "-1500ms" }
//
//	[[fault]]
//	at = "14s"
//	duration = "3s"
//	kind = "loss"      # one-way: what replica 0 sends
//	replica = 0
//	params = { rate = 0.5 }
func ParseSchedule(data []byte, n int) (Schedule, error) {
	if len(data) > maxScheduleBytes {
		return Schedule{}, fmt.Errorf("faults: schedule of %d bytes, at most %d", len(data), maxScheduleBytes)
	}
	if err := config.CheckTOML(data); err != nil {
		return Schedule{}, fmt.Errorf("faults: schedule: %w", err)
	}
	var doc struct {
		Fault []fileFault `toml:"fault"`
	}
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		return Schedule{}, fmt.Errorf("faults: schedule: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return Schedule{}, fmt.Errorf("faults: schedule: unknown key %s", strings.Join(keys, ", "))
	}
	if len(doc.Fault) == 0 {
		return Schedule{}, errors.New("faults: schedule has no [[fault]] entries")
	}
	var s Schedule
	for i, ff := range doc.Fault {
		if ff.Replica != nil && len(ff.Replicas) > 0 {
			return Schedule{}, fmt.Errorf("faults: fault %d: give replica or replicas, not both", i)
		}
		reps := slices.Clone(ff.Replicas)
		if ff.Replica != nil {
			reps = []int{*ff.Replica}
		}
		if ff.Params.Offset != 0 && Kind(ff.Kind) != Clock {
			return Schedule{}, fmt.Errorf("faults: fault %d: params.offset applies to clock faults only", i)
		}
		if ff.Params.Rate != 0 && Kind(ff.Kind) != Loss {
			return Schedule{}, fmt.Errorf("faults: fault %d: params.rate applies to loss faults only", i)
		}
		s.Faults = append(s.Faults, Fault{At: time.Duration(ff.At), Duration: time.Duration(ff.Duration), Kind: Kind(ff.Kind),
			Replicas: reps, ClockOffset: time.Duration(ff.Params.Offset), LossRate: ff.Params.Rate})
	}
	return s, s.Validate(n)
}

// Load resolves a --faults SPEC: a preset name, or else the path of a
// schedule file.
func Load(spec string, n int, window time.Duration) (Schedule, error) {
	if slices.Contains(Presets, spec) {
		return Preset(spec, n, window)
	}
	st, err := os.Stat(spec)
	if err != nil {
		return Schedule{}, fmt.Errorf("faults: %q is neither a preset (%s) nor a readable schedule file: %w", spec, strings.Join(Presets, ", "), err)
	}
	if !st.Mode().IsRegular() || st.Size() > maxScheduleBytes {
		return Schedule{}, fmt.Errorf("faults: %s is not a schedule file of at most %d bytes", spec, maxScheduleBytes)
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		return Schedule{}, fmt.Errorf("faults: %w", err)
	}
	s, err := ParseSchedule(data, n)
	if err != nil {
		return Schedule{}, fmt.Errorf("%s: %w", spec, err)
	}
	if end := s.End(); end >= window {
		return Schedule{}, fmt.Errorf("faults: %s: faults end at %v, after the load window of %v; leave time to recover", spec, end, window)
	}
	return s, nil
}
