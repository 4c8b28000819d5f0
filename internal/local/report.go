package local

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/pompe-bft/pompe/internal/checker"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/latency"
	"github.com/pompe-bft/pompe/internal/loadgen"
)

// LatencyMs is one phase's latency statistics in milliseconds, converted
// as internal/report converts them.
type LatencyMs = latency.Millis

func latencyMs(l loadgen.Latency) LatencyMs { return l.Millis() }

func round3(v float64) float64 { return latency.Round3(v) }

// Report is the outcome of a local run; its JSON form is what `pompe local
// --json` prints.
type Report struct {
	Mode         config.Mode `json:"mode"`
	Nodes        int         `json:"nodes"`
	Clients      int         `json:"clients"`
	DurationS    float64     `json:"duration_s"` // the measured window
	Batch        int         `json:"batch"`
	PayloadBytes int         `json:"payload"`
	Inflight     int         `json:"inflight"`
	// OrderingWindow bounds each client's batches in the ordering phase;
	// 0 (absent): only Inflight.
	OrderingWindow int `json:"ordering_window,omitempty"`
	// RatePerClient is 0 for a closed loop.
	RatePerClient float64 `json:"rate_per_client"`
	// Interrupted: the load was stopped early (Ctrl-C); every figure
	// covers the window up to then.
	Interrupted bool `json:"interrupted,omitempty"`

	Submitted      uint64    `json:"submitted"`
	Ordered        uint64    `json:"ordered"` // 0 in hotstuff mode: no ordering phase
	Executed       uint64    `json:"executed"`
	OrderedPerS    float64   `json:"ordered_per_s"`
	ExecutedPerS   float64   `json:"executed_per_s"`
	OrderLatencyMs LatencyMs `json:"order_latency_ms"`
	ExecLatencyMs  LatencyMs `json:"exec_latency_ms"`
	Retries        uint64    `json:"retries"`
	Shed           uint64    `json:"shed"`

	// From the checker, over every replica's execution log.
	CheckedCommands       int64 `json:"checked_commands"`
	ConsistencyViolations int64 `json:"consistency_violations"`
	OrderingViolations    int64 `json:"ordering_violations"`
	// RecordViolations counts what the checker finds in the client records
	// against the logs: lost acknowledged commands, records disagreeing
	// with the logs, impossible batch timestamps, reused timestamps.
	RecordViolations int64 `json:"record_violations"`
	// Fairness10ms is the fraction of cross-client command pairs sent more
	// than 10 ms apart that executed in send order (internal/fairness);
	// absent when no pair was measured.
	Fairness10ms *float64 `json:"fairness_10ms,omitempty"`

	// Dir holds the logs and records if they were kept, else "".
	Dir string `json:"dir,omitempty"`
	// ReplicaErrors lists replicas that failed or had to be killed.
	ReplicaErrors []string `json:"replica_errors,omitempty"`

	// FaultReport is set by a run with faults.
	*FaultReport
	// Byzantine is set by a run with Byzantine replicas.
	Byzantine *ByzantineReport `json:"byzantine,omitempty"`
	// ResourceReport is the replicas' CPU, memory and network use.
	ResourceReport

	// Check is the checker's full result (violation examples included).
	Check checker.Result `json:"-"`
}

// OK reports a run with executed commands, no violation and no replica
// failure.
func (r *Report) OK() bool {
	return r.ConsistencyViolations == 0 && r.OrderingViolations == 0 && r.RecordViolations == 0 &&
		len(r.ReplicaErrors) == 0 && r.FaultReport.ok() && r.Byzantine.ok()
}

func (r *Report) addLoad(s loadgen.Summary) {
	r.DurationS = round3(s.Window.Seconds())
	r.Submitted, r.Ordered, r.Executed = s.Submitted, s.Ordered, s.Executed
	r.OrderedPerS, r.ExecutedPerS = round3(s.OrderedPerSec), round3(s.ExecutedPerSec)
	r.OrderLatencyMs, r.ExecLatencyMs = latencyMs(s.OrderLatency), latencyMs(s.ExecLatency)
	r.Retries, r.Shed = s.Retries, s.Shed
}

func (r *Report) addCheck(c checker.Result) {
	r.Check = c
	r.CheckedCommands = c.Commands
	r.ConsistencyViolations = c.ConsistencyViolations
	r.OrderingViolations = c.OrderingViolations
	r.RecordViolations = c.LostCommands + c.RecordMismatches + c.TimestampViolations + c.ReusedTimestamps
}

// JSON is the report as one line of JSON, without a newline.
func (r *Report) JSON() ([]byte, error) { return json.Marshal(r) }

// WriteTable prints the report for people.
func (r *Report) WriteTable(w io.Writer) error {
	load := fmt.Sprintf("closed loop, %d batches in flight per client", r.Inflight)
	if r.OrderingWindow > 0 {
		load += fmt.Sprintf(", at most %d of them being ordered", r.OrderingWindow)
	}
	if r.RatePerClient > 0 {
		load = fmt.Sprintf("open loop, %g commands/s per client", r.RatePerClient)
	}
	if r.Interrupted {
		fmt.Fprintf(w, "INTERRUPTED after %.1f s: partial results, up to the interruption\n", r.DurationS)
	}
	fmt.Fprintf(w, "%s: %d replicas, %d clients, %.1f s, batch %d, payload %d B, %s\n",
		r.Mode, r.Nodes, r.Clients, r.DurationS, r.Batch, r.PayloadBytes, load)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tcommands\tper s\tp50 ms\tp90 ms\tp99 ms\tmean ms\t")
	row := func(name string, n uint64, perS float64, l LatencyMs) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", name, n, perS, l.P50, l.P90, l.P99, l.Mean)
	}
	if r.Mode == config.ModePompe {
		row("ordering", r.Ordered, r.OrderedPerS, r.OrderLatencyMs)
	}
	row("execution", r.Executed, r.ExecutedPerS, r.ExecLatencyMs)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "retries %d", r.Retries)
	if r.Shed > 0 {
		fmt.Fprintf(w, ", shed %d (client full)", r.Shed)
	}
	fmt.Fprintf(w, "\nchecker: %d commands in %d replica logs, %d consistency violations, %d ordering violations, %d record violations\n",
		r.CheckedCommands, r.Check.Replicas, r.ConsistencyViolations, r.OrderingViolations, r.RecordViolations)
	for _, ex := range r.Check.Examples {
		fmt.Fprintf(w, "  %s: %s\n", ex.Kind, ex.Detail)
	}
	r.FaultReport.writeTable(w)
	r.Byzantine.writeTable(w)
	writeResourceTable(w, &r.ResourceReport)
	for _, e := range r.ReplicaErrors {
		fmt.Fprintf(w, "replica problem: %s\n", e)
	}
	if r.Dir != "" {
		fmt.Fprintf(w, "logs and records kept in %s\n", r.Dir)
	}
	return nil
}
