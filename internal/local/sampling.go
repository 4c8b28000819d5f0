package local

import (
	"context"
	"fmt"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/loadgen"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// withMetricsAddr gives every replica a metrics endpoint on loopback from
// ports, which the resource sampler scrapes, unless next sets one (fault
// control does); addrs receives each replica's address and *err the
// first failure to find a port.
func withMetricsAddr(ports *testnet.Ports, addrs []string, err *error, next func(int, *config.Config)) func(int, *config.Config) {
	return func(i int, c *config.Config) {
		if next != nil {
			next(i, c)
		}
		if c.Metrics.Listen == "" {
			addr, e := ports.Take("127.0.0.1")
			if e != nil && *err == nil {
				*err = fmt.Errorf("local: metrics address of replica %d: %w", i, e)
			}
			c.Metrics.Listen = addr
		}
		addrs[i] = c.Metrics.Listen
	}
}

// newSampler prepares the resource sampler of the run's replicas.
func (r *runner) newSampler(ci *testnet.ClusterInfo, metricsAddrs []string, fr *faultRun) (*sampler, error) {
	targets := make([]replicaTarget, len(ci.Homes))
	for i, home := range ci.Homes {
		h, err := config.Load(home)
		if err != nil {
			return nil, err
		}
		targets[i] = replicaTarget{metricsAddr: metricsAddrs[i], dataDir: h.DataDir()}
	}
	pid := func(i int) int {
		var p *replicaProcess
		if fr != nil {
			p = fr.proc(i) // restarts replace processes while faults run
		} else {
			p = r.procs[i]
		}
		if p == nil || p.hasExited() {
			return 0
		}
		return p.cmd.Process.Pid
	}
	return newSampler(r.o.SampleEvery, targets, pid, r.o.OnSample), nil
}

// idle runs no load: the replicas run on their own for the window, which
// measures what an idle cluster costs.
func (r *runner) idle(ctx context.Context) (*loadgen.Summary, error) {
	start := time.Now()
	stop := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if r.o.Progress != nil {
			read := func() loadgen.Progress { return loadgen.Progress{Elapsed: time.Since(start)} }
			reportProgress(r.o.Progress, r.o.Interactive, false, r.o.ProgressEvery, r.o.Duration, read, stop)
		}
	}()
	if r.onLoadStart != nil {
		r.onLoadStart()
	}
	timer := time.NewTimer(r.o.Duration)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
	close(stop)
	<-progressDone
	// Interrupted or not, the window ran until now.
	return &loadgen.Summary{Mode: r.o.Mode, Start: start, Window: time.Since(start)}, ctx.Err()
}
