package soak

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pompe-bft/pompe/internal/local"
	"github.com/pompe-bft/pompe/internal/report/charts"
)

// Files of a soak's output directory, besides the cluster's own.
const (
	JSONFileName     = "soak.json"
	CSVFileName      = "soak.csv"
	ScheduleFileName = "faults.toml"
	PlotsDirName     = "plots"
)

// csvHeader names the columns of soak.csv: one row per replica and sample.
var csvHeader = []string{"t_s", "replica", "rss_mib", "goroutines", "disk_mib", "exec_log_mib", "cpu_cores", "net_sent_bytes"}

func (r *Result) write(dir string) error {
	data, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, JSONFileName), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	if err := writeCSV(filepath.Join(dir, CSVFileName), r.replicas); err != nil {
		return err
	}
	if len(r.replicas) == 0 {
		return nil
	}
	_, err = charts.WriteReplicaSeries(r.replicas, filepath.Join(dir, PlotsDirName))
	return err
}

func writeCSV(path string, replicas []local.ReplicaResources) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	w := csv.NewWriter(f)
	_ = w.Write(csvHeader)
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, r := range replicas {
		for _, s := range r.Samples {
			_ = w.Write([]string{num(s.TS), strconv.Itoa(r.Replica), num(s.RSSMiB), strconv.Itoa(s.Goroutines), num(s.DiskMiB),
				num(s.ExecLogMiB), num(s.CPUCores), strconv.FormatUint(s.NetSentBytes, 10)})
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("soak: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	return nil
}

// WriteTable prints the verdict for people.
func (r *Result) WriteTable(w io.Writer) {
	faults := "no faults"
	if r.Faults != "" {
		faults = fmt.Sprintf("faults %s every %.0f s (%d applied, %d failed)", r.Faults, r.FaultCycleS, r.FaultsApplied, r.FaultsFailed)
	}
	fmt.Fprintf(w, "soak: %s, %d replicas, %d clients, %.0f s, sampled every %.0f s, %s\n",
		r.Mode, r.Nodes, r.Clients, r.DurationS, r.SampleS, faults)
	fmt.Fprintf(w, "executed %d (%.1f/s); replicas %.3f cores each, %.0f µs CPU/cmd, RSS max %.1f MiB, %.0f B sent/cmd, execution log %.0f B/cmd\n",
		r.Executed, r.ExecutedPerS, r.ReplicaCPUCores, r.ReplicaCPUUsPerCmd, r.ReplicaRSSMaxMiB, r.NetBytesPerCmd, r.ExecLogBytesPerCmd)
	fmt.Fprintf(w, "boundedness after a %.0f s warm-up (first quarter mean -> last quarter mean, least-squares slope; the replica that grew most):\n", r.WarmupS)
	if !r.Judged {
		fmt.Fprintf(w, "  TOO SHORT TO JUDGE: %.0f s after the warm-up, a verdict needs %.0f s; the figures below are for information\n",
			r.DurationS-r.WarmupS, r.MinJudgedS)
	}
	for _, v := range r.Verdicts {
		if v.Replica < 0 {
			fmt.Fprintf(w, "  %-10s  no verdict: %s\n", v.Metric, v.Skipped)
			continue
		}
		mark := "bounded"
		switch {
		case !r.Judged:
			mark = "not judged"
		case v.Growing:
			mark = "GROWING"
		}
		fmt.Fprintf(w, "  %-10s  replica %d  %9.1f -> %9.1f %s  (%+.1f%%)  slope %+.2f %s/h  %s (tolerance %.0f%% and %g %s)\n",
			v.Metric, v.Replica, v.FirstQuarterMean, v.LastQuarterMean, v.Unit, v.GrowthPct, v.SlopePerHour, v.Unit, mark,
			v.Tolerance.GrowthPct, v.Tolerance.MinAbsolute, v.Unit)
	}
	fmt.Fprintf(w, "consistency: %d consistency violations, %d ordering violations, %d lost acknowledged, lagging replicas %v\n",
		r.ConsistencyViolations, r.OrderingViolations, r.LostAcknowledged, r.Lagging)
	for _, e := range r.ReplicaErrors {
		fmt.Fprintf(w, "replica problem: %s\n", e)
	}
	verdict := "PASS"
	if !r.OK() {
		verdict = "FAIL"
	}
	bounded := fmt.Sprint(r.Bounded)
	if !r.Judged {
		bounded = "too short to judge"
	}
	fmt.Fprintf(w, "verdict: %s (bounded %s, consistent %v); files in %s\n", verdict, bounded, r.Consistent, r.Dir)
}
