package report

import (
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/latency"
)

// Totals are the phases of a run, or of several, over a window.
type Totals struct {
	// DurationS is the window in seconds: a run's measured window, or for
	// several runs the time covered by at least one of their windows (so
	// concurrent runs against one cluster add up their rates, and runs
	// one after the other average them).
	DurationS      float64        `json:"duration_s"`
	Ordered        uint64         `json:"ordered"` // 0 in hotstuff mode: no ordering phase
	Executed       uint64         `json:"executed"`
	OrderedPerS    float64        `json:"ordered_per_s"`
	ExecutedPerS   float64        `json:"executed_per_s"`
	OrderLatencyMs latency.Millis `json:"order_latency_ms"`
	ExecLatencyMs  latency.Millis `json:"exec_latency_ms"`

	window              time.Duration
	orderHist, execHist *latency.Histogram
}

func (t *Totals) finish() {
	t.DurationS = latency.Round3(t.window.Seconds())
	t.Ordered, t.Executed = t.orderHist.Count(), t.execHist.Count()
	t.OrderedPerS = latency.PerSecond(t.Ordered, t.window)
	t.ExecutedPerS = latency.PerSecond(t.Executed, t.window)
	t.OrderLatencyMs = t.orderHist.Summary().Millis()
	t.ExecLatencyMs = t.execHist.Summary().Millis()
}

// Window is the window the rates are computed over.
func (t *Totals) Window() time.Duration { return t.window }

// Latencies returns the histogram of a phase.
func (t *Totals) Latencies(p Phase) *latency.Histogram {
	if p == Ordering {
		return t.orderHist
	}
	return t.execHist
}

// Run is the report of one result directory.
type Run struct {
	Dir     string      `json:"dir"`
	Label   string      `json:"label"` // mode and batch, or the directory's name
	Source  SourceKind  `json:"source"`
	Mode    config.Mode `json:"mode"`
	Clients int         `json:"clients"` // client files read
	Batch   int         `json:"batch"`   // 0: unknown (no load.json)
	// Settings names what makes runs comparable: mode, replicas and the
	// per-client load (batch, payload, inflight, rate), from load.json;
	// "" when the run has none. Only runs with equal settings are
	// combined (the number of clients may differ: several bench processes
	// loading one cluster split its clients between them).
	Settings string `json:"settings"`
	// ExactWindow is true when load.json gave the load generator's own
	// window; otherwise the window runs from the first send to the last
	// completion found in the files.
	ExactWindow   bool  `json:"exact_window"`
	WindowStartUs int64 `json:"window_start_us"`
	Totals
	Timeline Timeline `json:"timeline"`
	// Fairness is the pair-order measure (nil only before loading).
	Fairness *Fairness `json:"fairness,omitempty"`
	// Resources is the replicas' resource use, when the run recorded it.
	Resources *Resources `json:"resources,omitempty"`
}

// Options tune Load.
type Options struct {
	// MaxTimeBuckets bounds each run's timeline (0: MaxTimeBuckets).
	MaxTimeBuckets int
	Fairness       FairnessOptions
}

// loadRun reads one result directory.
func loadRun(dir string, o Options) (*Run, error) {
	src, err := findSource(dir)
	if err != nil {
		return nil, err
	}
	r := &Run{Dir: dir, Source: src.kind, Mode: src.mode, Batch: src.batch}
	r.Clients = len(src.records) + max(len(src.exec), len(src.order))
	var startUs, endUs int64
	if src.info != nil {
		ri := src.info
		r.Settings = fmt.Sprintf("%s, %d replicas, batch %d, payload %d B, inflight %d, rate %g/s per client",
			ri.Mode, ri.Replicas, ri.BatchCommands, ri.PayloadBytes, ri.Inflight, ri.RatePerClient)
		r.ExactWindow = true
		startUs, endUs, r.window = src.info.WindowStartUs, src.info.WindowEndUs, src.info.Window()
	} else {
		b, err := src.bounds()
		if err != nil {
			return nil, err
		}
		startUs, endUs = b.firstSentUs, b.lastEndUs
		r.window = time.Duration(endUs-startUs) * time.Microsecond
		if r.Mode == "" {
			r.Mode = config.ModeHotStuff
			if b.ordering {
				r.Mode = config.ModePompe
			}
		}
	}
	r.WindowStartUs = startUs
	acc := newAccumulator(r, endUs, o)
	if err := src.scan(acc.add); err != nil {
		return nil, err
	}
	acc.finish()
	if r.Fairness, err = src.fairness(o.Fairness); err != nil {
		return nil, err
	}
	if r.Resources, err = loadResources(src.dir, dir); err != nil {
		return nil, err
	}
	r.Label = string(r.Mode)
	if r.Batch > 0 {
		r.Label += fmt.Sprintf(" batch %d", r.Batch)
	} else {
		r.Label += " " + filepath.Base(filepath.Clean(dir))
	}
	return r, nil
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// bounds are what a first pass over files without load.json finds.
type bounds struct {
	firstSentUs, lastEndUs int64
	ordering               bool
}

func (s *source) bounds() (bounds, error) {
	b := bounds{firstSentUs: math.MaxInt64, lastEndUs: math.MinInt64}
	err := s.scan(func(x sample) {
		b.firstSentUs = min(b.firstSentUs, x.sentUs)
		b.lastEndUs = max(b.lastEndUs, x.endUs)
		b.ordering = b.ordering || x.phase == Ordering
	})
	if b.lastEndUs < b.firstSentUs {
		b.firstSentUs, b.lastEndUs = 0, 0 // no samples
	}
	return b, err
}

// accumulator adds samples to a run whose mode and window are known.
type accumulator struct {
	r     *Run
	tl    *timeline
	endUs int64
	pompe bool
}

func newAccumulator(r *Run, endUs int64, o Options) *accumulator {
	r.orderHist, r.execHist = new(latency.Histogram), new(latency.Histogram)
	return &accumulator{
		r: r, endUs: endUs, pompe: r.Mode == config.ModePompe,
		tl: newTimeline(r.WindowStartUs, r.window.Microseconds(), orDefault(o.MaxTimeBuckets, MaxTimeBuckets)),
	}
}

func (a *accumulator) add(s sample) {
	// The load generator's rule: a phase counts if it ended inside the
	// window, to the microsecond.
	if s.endUs > a.endUs || (s.phase == Ordering && !a.pompe) {
		return
	}
	a.r.Latencies(s.phase).AddMicros(s.latUs)
	a.tl.add(s)
}

func (a *accumulator) finish() {
	a.r.finish()
	a.r.Timeline = a.tl.result()
}
