package soak

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/pompe-bft/pompe/internal/chartcmd"
	"github.com/pompe-bft/pompe/internal/local"
)

// Tolerances of the boundedness verdict: growth from the first quarter of
// the run to the last beyond both limits, with a rising slope, is flagged.
var (
	RSSTolerance        = Tolerance{GrowthPct: 20, MinAbsolute: 8}  // MiB
	GoroutinesTolerance = Tolerance{GrowthPct: 20, MinAbsolute: 10} // goroutines
	StoreTolerance      = Tolerance{GrowthPct: 20, MinAbsolute: 64} // MiB; the store preallocates 64 MiB logs
)

// MetricVerdict is the boundedness verdict on one resource: the stats of
// the replica whose resource grew most.
type MetricVerdict struct {
	Metric    string    `json:"metric"`
	Unit      string    `json:"unit"`
	Tolerance Tolerance `json:"tolerance"`
	Replica   int       `json:"replica"`
	Stats
	Growing bool `json:"growing"`
	// Skipped says why there is no verdict (too few samples, or a soak
	// too short to judge; Stats are then still filled when they could be
	// computed, for information).
	Skipped string `json:"skipped,omitempty"`
}

// Result is the outcome of a soak; its JSON form is soak.json.
type Result struct {
	Mode      string  `json:"mode"`
	Nodes     int     `json:"nodes"`
	Clients   int     `json:"clients"`
	Batch     int     `json:"batch"`
	DurationS float64 `json:"duration_s"`
	SampleS   float64 `json:"sample_s"`
	// WarmupS is the start of the run left out of the verdicts and
	// MinJudgedS the least time after it for a verdict.
	WarmupS     float64 `json:"warmup_s"`
	MinJudgedS  float64 `json:"min_judged_s"`
	Faults      string  `json:"faults,omitempty"`
	FaultCycleS float64 `json:"fault_cycle_s,omitempty"`

	Executed              uint64   `json:"executed"`
	ExecutedPerS          float64  `json:"executed_per_s"`
	ConsistencyViolations int64    `json:"consistency_violations"`
	OrderingViolations    int64    `json:"ordering_violations"`
	LostAcknowledged      int64    `json:"lost_acknowledged"`
	Lagging               []int    `json:"lagging_replicas,omitempty"`
	FaultsApplied         int      `json:"faults_applied"`
	FaultsFailed          int      `json:"faults_failed"`
	ReplicaErrors         []string `json:"replica_errors,omitempty"`

	ReplicaCPUCores    float64 `json:"replica_cpu_cores"`
	ReplicaCPUUsPerCmd float64 `json:"replica_cpu_us_per_cmd"`
	ReplicaRSSMaxMiB   float64 `json:"replica_rss_max_mib"`
	NetBytesPerCmd     float64 `json:"net_bytes_per_cmd"`
	// ExecLogBytesPerCmd is how fast the execution logs grow, an
	// append-only record judged apart from the store.
	ExecLogBytesPerCmd float64 `json:"exec_log_bytes_per_cmd"`

	Verdicts []MetricVerdict `json:"verdicts"`
	// Judged is false when the soak was too short for a boundedness
	// verdict (DurationS - WarmupS < MinJudgedS). Bounded is true when it
	// was judged and no resource grew beyond its tolerance; Consistent
	// when the checks found nothing wrong.
	Judged     bool   `json:"judged"`
	Bounded    bool   `json:"bounded"`
	Consistent bool   `json:"consistent"`
	Dir        string `json:"dir"`

	replicas []local.ReplicaResources
	// chartsLine says where the charts are, or why they were not drawn
	// and how to draw them.
	chartsLine string
}

// OK is a soak whose resources stayed bounded and whose checks passed.
// A soak too short to judge passes on its checks alone.
func (r *Result) OK() bool { return (r.Bounded || !r.Judged) && r.Consistent }

// Run runs a soak and writes its files into o.OutDir.
func Run(ctx context.Context, o Options) (*Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("soak: %w", err)
	}
	if _, err := os.Stat(filepath.Join(o.OutDir, JSONFileName)); err == nil {
		return nil, fmt.Errorf("soak: %s already holds a soak; choose a new output directory", o.OutDir)
	}
	lo := local.Options{
		Nodes: o.Nodes, Clients: o.Clients, Mode: o.Mode, Duration: o.Duration, Batch: o.Batch, Inflight: o.Inflight,
		RatePerClient: o.RatePerClient, OutDir: o.OutDir, Executable: o.Executable, SampleEvery: o.Sample,
		Status: o.Progress, ProgressEvery: max(o.Sample, time.Minute), Progress: o.Progress,
	}
	if o.Faults != "" {
		s, err := Cycle(o.Faults, o.Nodes, o.FaultCycle, o.Duration)
		if err != nil {
			return nil, err
		}
		lo.Faults = filepath.Join(o.OutDir, ScheduleFileName)
		if err := writeSchedule(lo.Faults, s); err != nil {
			return nil, err
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "fault schedule: %d faults (%s every %v) in %s\n", len(s.Faults), o.Faults, o.FaultCycle, lo.Faults)
		}
	}
	if o.Progress != nil {
		lo.OnSample = func(r local.ResourceRound) { fmt.Fprintln(o.Progress, roundLine(r, o.Duration)) }
	}
	rep, err := local.Run(ctx, lo)
	if err != nil {
		return nil, err
	}
	res := judge(o, rep)
	if err := res.write(o.OutDir); err != nil {
		return res, err
	}
	charts := chartcmd.Runner{Beside: o.Executable, Stdout: o.Progress, Stderr: o.Progress}
	res.chartsLine = drawCharts(ctx, o.OutDir, len(res.replicas), charts)
	return res, nil
}

// roundLine is the progress line of one round of samples: the largest
// replica's figures.
func roundLine(r local.ResourceRound, total time.Duration) string {
	var rss, disk, cpu float64
	var g int
	for _, s := range r.Samples {
		rss, disk, g = max(rss, s.RSSMiB), max(disk, s.DiskMiB), max(g, s.Goroutines)
		cpu += s.CPUCores
	}
	if len(r.Samples) > 0 {
		cpu /= float64(len(r.Samples))
	}
	return fmt.Sprintf("%8s/%v  rss max %6.1f MiB  goroutines max %4d  disk max %7.1f MiB  cpu %.3f cores/replica",
		r.Elapsed.Round(time.Second), total, rss, g, disk, cpu)
}

// judge builds the result of a finished run.
func judge(o Options, rep *local.Report) *Result {
	res := &Result{
		Mode: string(o.Mode), Nodes: o.Nodes, Clients: o.Clients, Batch: rep.Batch, DurationS: rep.DurationS,
		SampleS: o.Sample.Seconds(), Faults: o.Faults, WarmupS: o.Warmup.Seconds(), MinJudgedS: o.MinJudged.Seconds(),
		Executed: rep.Executed, ExecutedPerS: rep.ExecutedPerS,
		ConsistencyViolations: rep.ConsistencyViolations, OrderingViolations: rep.OrderingViolations,
		ReplicaErrors:   rep.ReplicaErrors,
		ReplicaCPUCores: rep.ReplicaCPUCores, ReplicaCPUUsPerCmd: rep.ReplicaCPUUsPerCmd,
		ReplicaRSSMaxMiB: rep.ReplicaRSSMaxMiB, NetBytesPerCmd: rep.NetBytesPerCmd,
		Dir: o.OutDir, replicas: rep.Resources,
	}
	if o.Faults != "" {
		res.FaultCycleS = o.FaultCycle.Seconds()
	}
	if fr := rep.FaultReport; fr != nil {
		res.LostAcknowledged, res.Lagging = fr.LostAcknowledged, fr.Lagging
		for _, a := range fr.Faults {
			res.FaultsApplied++
			if a.Error != "" {
				res.FaultsFailed++
			}
		}
	}
	res.Consistent = rep.OK()
	var execLogMiB float64
	for _, r := range rep.Resources {
		if n := len(r.Samples); n > 0 {
			execLogMiB += r.Samples[n-1].ExecLogMiB - r.Samples[0].ExecLogMiB
		}
	}
	if rep.Executed > 0 {
		res.ExecLogBytesPerCmd = math.Round(execLogMiB * (1 << 20) / float64(rep.Executed))
	}
	res.Verdicts, res.Judged, res.Bounded = verdicts(o, rep.Resources)
	return res
}

// verdicts judges every resource on the samples after the warm-up; a
// soak too short to judge gets its figures with Skipped set and no
// verdict.
func verdicts(o Options, replicas []local.ReplicaResources) (vs []MetricVerdict, judged, bounded bool) {
	from := math.Inf(1) // the first sample of the run
	for _, r := range replicas {
		if len(r.Samples) > 0 {
			from = min(from, r.Samples[0].TS)
		}
	}
	from += o.Warmup.Seconds()
	vs = []MetricVerdict{
		verdict("rss", "MiB", RSSTolerance, replicas, from, func(s local.ResourceSample) float64 { return s.RSSMiB }),
		verdict("goroutines", "goroutines", GoroutinesTolerance, replicas, from,
			func(s local.ResourceSample) float64 { return float64(s.Goroutines) }),
		verdict("store_disk", "MiB", StoreTolerance, replicas, from,
			func(s local.ResourceSample) float64 { return s.DiskMiB - s.ExecLogMiB }),
	}
	if o.TooShort() {
		for i := range vs {
			vs[i].Growing = false
			vs[i].Skipped = fmt.Sprintf("too short to judge: %v after the %v warm-up, a verdict needs %v (--duration %v or more)",
				o.JudgedWindow(), o.Warmup, o.MinJudged, minDuration(o))
		}
		return vs, false, false
	}
	bounded = true
	for _, v := range vs {
		bounded = bounded && !v.Growing
	}
	return vs, true, bounded
}

// minDuration is the shortest --duration whose judged window reaches
// MinJudged with o's warm-up rule (a quarter of the duration, at least
// DefaultWarmup, unless Warmup was set).
func minDuration(o Options) time.Duration {
	d := o.Warmup + o.MinJudged
	if o.Warmup == max(DefaultWarmup, o.Duration/4) { // the default rule
		d = max(DefaultWarmup+o.MinJudged, o.MinJudged*4/3)
	}
	return d.Round(time.Second)
}

// verdict judges one resource over every replica and keeps the replica
// that grew most. Samples before fromTS (the warm-up) and samples with no
// value (a replica down, or not answering) are left out.
func verdict(metric, unit string, tol Tolerance, replicas []local.ReplicaResources, fromTS float64, value func(local.ResourceSample) float64) MetricVerdict {
	v := MetricVerdict{Metric: metric, Unit: unit, Tolerance: tol, Replica: -1}
	for _, r := range replicas {
		var pts []Point
		for _, s := range r.Samples {
			if s.TS < fromTS {
				continue // warm-up
			}
			if x := value(s); x > 0 {
				pts = append(pts, Point{TS: s.TS, Value: x})
			}
		}
		st, err := Trend(pts)
		if err != nil {
			v.Skipped = fmt.Sprintf("replica %d: %v", r.Replica, err)
			continue
		}
		growing := st.Growing(tol)
		if v.Replica < 0 || (growing && !v.Growing) || (growing == v.Growing && st.GrowthPct > v.GrowthPct) {
			v.Replica, v.Stats, v.Growing = r.Replica, st, growing
		}
	}
	if v.Replica >= 0 {
		v.Skipped = ""
	}
	return v
}
