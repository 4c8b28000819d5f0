package loadgen

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/latency"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/pkg/client"
)

// Generator runs the load of Options against a cluster.
type Generator struct {
	opts    Options
	workers []*worker

	started   atomic.Int64 // window start, Unix ns; 0 before Run
	windowEnd atomic.Int64 // window end, Unix ns
	closeOnce sync.Once
	closeErr  error
}

// Progress is a live snapshot of a run, in commands since the start.
type Progress struct {
	Elapsed   time.Duration
	Submitted uint64
	Ordered   uint64 // sequenced; 0 in hotstuff mode
	Executed  uint64
	Retries   uint64 // batch attempts (Pompe) or resends (hotstuff)
	Shed      uint64 // open loop: commands dropped because the client was full
}

// Latency summarizes the latencies of one phase; internal/report computes
// the same summary from the run's records.
type Latency = latency.Summary

// Summary is the outcome of a run.
type Summary struct {
	Mode    config.Mode
	Clients int
	// Start is when the measured window began.
	Start time.Time
	// Window is the measured time: Options.Duration, or less if the run
	// was cancelled.
	Window    time.Duration
	Submitted uint64
	// Ordered and Executed count commands whose phase ended inside the
	// window. Ordered is 0 in hotstuff mode.
	Ordered, Executed             uint64
	OrderedPerSec, ExecutedPerSec float64
	Retries                       uint64
	Shed                          uint64
	OrderLatency, ExecLatency     Latency
}

// New creates every client's files and connects the clients; it fails if a
// client cannot reach enough replicas within ConnectTimeout.
func New(ctx context.Context, opts Options) (*Generator, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	g := &Generator{opts: opts}
	for k := range opts.ClientKeys {
		w, err := g.newWorker(k)
		if w != nil {
			g.workers = append(g.workers, w)
		}
		if err != nil {
			g.Close()
			return nil, err
		}
	}
	if err := g.connect(ctx); err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

func (g *Generator) newWorker(k int) (*worker, error) {
	w := &worker{g: g, index: k, payloads: newPayloads(k, g.opts.PayloadBytes, g.opts.KeySpace/len(g.opts.ClientKeys)), wake: make(chan struct{}, 1)}
	var err error
	if w.records, err = runlog.CreateClientRecords(filepath.Join(g.opts.OutDir, runlog.ClientRecordsName(k))); err != nil {
		return w, fmt.Errorf("loadgen: %w", err)
	}
	if w.execLog, err = createLatencyLog(filepath.Join(g.opts.OutDir, ExecLogName(k))); err != nil {
		return w, err
	}
	if g.opts.Genesis.Mode == config.ModePompe {
		if w.orderLog, err = createLatencyLog(filepath.Join(g.opts.OutDir, OrderLogName(k))); err != nil {
			return w, err
		}
	}
	return w, nil
}

// connect starts every client at once, so that a large run does not pay
// the connection wait once per client.
func (g *Generator) connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, g.opts.ConnectTimeout)
	defer cancel()
	errs := make([]error, len(g.workers))
	var wg sync.WaitGroup
	for i, w := range g.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg, err := client.FromGenesis(&g.opts.Genesis, g.opts.ClientKeys[i])
			if err != nil {
				errs[i] = err
				return
			}
			cfg.BatchMaxCommands = g.opts.BatchCommands
			cfg.BatchMaxDelay = g.opts.BatchMaxDelay
			cfg.Inflight = g.opts.Inflight
			cfg.OrderingWindow = g.opts.OrderingWindow
			cfg.MaxPending = g.opts.maxPending()
			cfg.RetryTimeout = g.opts.RetryTimeout
			cfg.FirstSeq = g.opts.FirstSeq
			cfg.Records = w.records
			cfg.Logger = g.opts.Logger.With("loadgen_client", i)
			if i < len(g.opts.Emulators) {
				cfg.Emulator = g.opts.Emulators[i]
			}
			cl, err := client.New(ctx, cfg)
			if err != nil {
				errs[i] = fmt.Errorf("loadgen: client %d: %w", i, err)
				return
			}
			w.cl = cl
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Run submits for the window, then closes the clients and returns the
// summary. A cancelled ctx ends the window early; Run then returns the
// summary so far together with ctx's error. Run may be called once.
func (g *Generator) Run(ctx context.Context) (Summary, error) {
	start := time.Now()
	g.windowEnd.Store(start.Add(g.opts.Duration).UnixNano())
	g.started.Store(start.UnixNano())

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range g.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if g.opts.RatePerClient > 0 {
				w.openLoop(stop)
			} else {
				w.closedLoop(stop)
			}
		}()
	}
	timer := time.NewTimer(g.opts.Duration)
	defer timer.Stop()
	var runErr error
	select {
	case <-timer.C:
	case <-ctx.Done():
		runErr = ctx.Err()
		g.windowEnd.Store(min(g.windowEnd.Load(), time.Now().UnixNano()))
	}
	close(stop)
	wg.Wait()
	if err := g.Close(); err != nil {
		runErr = errors.Join(runErr, err)
	}
	s := g.summary(start, g.retries())
	if err := writeRunInfo(g.opts, s); err != nil {
		runErr = errors.Join(runErr, err)
	}
	return s, runErr
}

func (g *Generator) retries() uint64 {
	var n uint64
	for _, w := range g.workers {
		if w.cl != nil {
			n += w.cl.Stats().Retries
		}
	}
	return n
}

// Close closes every client and file. Run calls it; call it yourself only
// when Run is not called.
func (g *Generator) Close() error {
	g.closeOnce.Do(func() {
		var errs []error
		for _, w := range g.workers {
			errs = append(errs, w.close())
		}
		g.closeErr = errors.Join(errs...)
	})
	return g.closeErr
}

// summary adds up the workers; their callbacks have all returned, since
// Close waits for them.
func (g *Generator) summary(start time.Time, retries uint64) Summary {
	window := time.Unix(0, g.windowEnd.Load()).Sub(start)
	s := Summary{Mode: g.opts.Genesis.Mode, Clients: len(g.workers), Start: start, Window: window, Retries: retries}
	var order, exec latency.Histogram
	for _, w := range g.workers {
		s.Submitted += w.submitted.Load()
		s.Shed += w.shed.Load()
		s.Ordered += w.ordered
		s.Executed += w.executed
		order.Merge(&w.orderHist)
		exec.Merge(&w.execHist)
	}
	if sec := window.Seconds(); sec > 0 {
		s.OrderedPerSec = float64(s.Ordered) / sec
		s.ExecutedPerSec = float64(s.Executed) / sec
	}
	s.OrderLatency = order.Summary()
	s.ExecLatency = exec.Summary()
	return s
}

// Progress returns live counters; safe to call from any goroutine, before,
// during and after Run.
func (g *Generator) Progress() Progress {
	var p Progress
	if st := g.started.Load(); st != 0 {
		p.Elapsed = time.Since(time.Unix(0, st))
	}
	for _, w := range g.workers {
		p.Submitted += w.submitted.Load()
		p.Shed += w.shed.Load()
		if w.cl == nil {
			continue
		}
		st := w.cl.Stats()
		if g.opts.Genesis.Mode == config.ModePompe {
			p.Ordered += st.Sequenced
		}
		p.Executed += st.Executed + st.Duplicates
		p.Retries += st.Retries
	}
	return p
}
