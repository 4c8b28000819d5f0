package soak

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/local"
)

// Options describe a soak.
type Options struct {
	Nodes    int
	Clients  int
	Mode     config.Mode
	Batch    int
	Inflight int
	// RatePerClient is commands/s per client; 0: closed loop.
	RatePerClient float64
	Duration      time.Duration
	// Sample is the period of the resource samples.
	Sample time.Duration
	// Faults, if set, is a fault schedule (a preset or a schedule file)
	// laid out for FaultCycle and repeated over the whole run.
	Faults     string
	FaultCycle time.Duration
	// OutDir receives the cluster's files, soak.json, soak.csv and the
	// charts; it must not hold an earlier run.
	OutDir string
	// Executable is the pompe binary replicas run (default: this one).
	Executable string
	// Progress, if set, receives a line per sample and the stages.
	Progress io.Writer
}

// Defaults.
const (
	DefaultDuration   = 30 * time.Minute
	DefaultSample     = 10 * time.Second
	DefaultFaultCycle = time.Minute
	// minSamples is the fewest samples a soak must take for a verdict.
	minSamples = 2 * minTrendSamples
)

func (o Options) withDefaults() (Options, error) {
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Sample == 0 {
		o.Sample = DefaultSample
	}
	if o.FaultCycle == 0 {
		o.FaultCycle = DefaultFaultCycle
	}
	if o.Nodes == 0 {
		o.Nodes = local.DefaultNodes
	}
	if o.Clients == 0 {
		o.Clients = local.DefaultClients
	}
	if o.Mode == "" {
		o.Mode = config.ModePompe
	}
	switch {
	case o.OutDir == "":
		return o, errors.New("soak: no output directory")
	case o.Duration < 0 || o.Sample < 0 || o.FaultCycle < 0:
		return o, errors.New("soak: negative duration")
	case o.Duration < minSamples*o.Sample:
		return o, fmt.Errorf("soak: a %v run sampled every %v gives fewer than %d samples", o.Duration, o.Sample, minSamples)
	}
	return o, nil
}
