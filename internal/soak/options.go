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
	// Warmup is the start of the run left out of the boundedness verdict
	// (default DefaultWarmup or a quarter of Duration, whichever is
	// longer): caches, memtables and the Go heap fill to their plateau
	// then, which is growth but not a leak.
	Warmup time.Duration
	// MinJudged is the least time after the warm-up for a boundedness
	// verdict (default DefaultMinJudged); a shorter soak is reported as
	// too short to judge, its consistency checks still count.
	MinJudged time.Duration
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
	// DefaultWarmup is the shortest warm-up. Loaded replicas reach their
	// memory plateau within about 10 s, but at a few tens of commands/s
	// the store's memtables and block cache take minutes to fill.
	DefaultWarmup = 2 * time.Minute
	// DefaultMinJudged is the shortest judged window that means something:
	// an 8-minute soak at 23 commands/s was still filling the store's
	// caches at its end (docs in the README), and each quarter of the
	// window must span enough samples (15 at the default 10 s) for its
	// mean to outweigh the sawtooth of the garbage collector.
	DefaultMinJudged = 10 * time.Minute
)

// JudgedWindow is the part of the run the boundedness verdict covers.
func (o Options) JudgedWindow() time.Duration { return o.Duration - o.Warmup }

// TooShort reports whether the judged window is below MinJudged.
func (o Options) TooShort() bool { return o.JudgedWindow() < o.MinJudged }

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
	if o.Warmup == 0 {
		o.Warmup = max(DefaultWarmup, o.Duration/4)
	}
	if o.MinJudged == 0 {
		o.MinJudged = DefaultMinJudged
	}
	switch {
	case o.OutDir == "":
		return o, errors.New("soak: no output directory")
	case o.Duration < 0 || o.Sample < 0 || o.FaultCycle < 0 || o.Warmup < 0 || o.MinJudged < 0:
		return o, errors.New("soak: negative duration")
	case o.Duration < minSamples*o.Sample:
		return o, fmt.Errorf("soak: a %v run sampled every %v gives fewer than %d samples", o.Duration, o.Sample, minSamples)
	}
	return o, nil
}
