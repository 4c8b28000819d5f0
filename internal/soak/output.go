package soak

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pompe-bft/pompe/internal/chartcmd"
	"github.com/pompe-bft/pompe/internal/local"
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
	return writeCSV(filepath.Join(dir, CSVFileName), r.replicas)
}

// drawCharts has pompe-charts draw dir/plots from soak.csv (the plotting
// library is kept out of the pompe binary; see package chartcmd) and
// returns the line WriteTable prints about them. Charts that cannot be
// drawn do not fail the soak: its verdict and data files stand, and the
// line says how to draw them later.
func drawCharts(ctx context.Context, dir string, replicas int, r chartcmd.Runner) string {
	if replicas == 0 {
		return "charts: none (no resource samples)"
	}
	args := chartcmd.SoakArgs(dir)
	err := r.Run(ctx, args)
	switch {
	case err == nil:
		return "charts: " + filepath.Join(dir, PlotsDirName)
	case chartcmd.IsNotFound(err):
		return "charts: " + err.Error()
	default:
		return fmt.Sprintf("charts: not drawn (%s); draw them with `%s`",
			strings.ReplaceAll(err.Error(), "\n", "; "), chartcmd.GoRunCommand(args))
	}
}

// ReadCSV reads the replica series of a soak.csv, in the order written:
// one series per replica, its samples in time order.
func ReadCSV(path string) ([]local.ReplicaResources, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("soak: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("soak: %s: %w", path, err)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], csvHeader) {
		return nil, fmt.Errorf("soak: %s: not a soak.csv: want the header %s", path, strings.Join(csvHeader, ","))
	}
	var replicas []local.ReplicaResources
	index := map[int]int{} // replica id -> its position in replicas
	for i, row := range rows[1:] {
		s, replica, err := parseRow(row)
		if err != nil {
			return nil, fmt.Errorf("soak: %s: line %d: %w", path, i+2, err)
		}
		at, ok := index[replica]
		if !ok {
			at = len(replicas)
			index[replica] = at
			replicas = append(replicas, local.ReplicaResources{Replica: replica})
		}
		replicas[at].Samples = append(replicas[at].Samples, s)
	}
	return replicas, nil
}

// parseRow reads one row of soak.csv, in csvHeader's column order.
func parseRow(row []string) (s local.ResourceSample, replica int, err error) {
	var errs []error
	num := func(col int) float64 {
		v, err := strconv.ParseFloat(row[col], 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", csvHeader[col], err))
		}
		return v
	}
	integer := func(col int) int {
		v, err := strconv.Atoi(row[col])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", csvHeader[col], err))
		}
		return v
	}
	s.TS, replica, s.RSSMiB, s.Goroutines = num(0), integer(1), num(2), integer(3)
	s.DiskMiB, s.ExecLogMiB, s.CPUCores = num(4), num(5), num(6)
	sent, err := strconv.ParseUint(row[7], 10, 64)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", csvHeader[7], err))
	}
	s.NetSentBytes = sent
	return s, replica, errors.Join(errs...)
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
	if r.chartsLine != "" {
		fmt.Fprintln(w, r.chartsLine)
	}
	fmt.Fprintf(w, "verdict: %s (bounded %s, consistent %v); files in %s\n", verdict, bounded, r.Consistent, r.Dir)
}
