package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/chartcmd"
	"github.com/pompe-bft/pompe/internal/cliexit"
	"github.com/pompe-bft/pompe/internal/fairness"
	"github.com/pompe-bft/pompe/internal/report"
)

func newReportCmd() *cobra.Command {
	var (
		jsonOut  bool
		markdown bool
		plotDir  string
		deltas   []time.Duration
	)
	cmd := &cobra.Command{
		Use:   "report DIR... [--json] [--plot OUTDIR]",
		Short: "Aggregate the client logs of finished runs: throughput, latency percentiles, charts",
		Long: `report reads result directories, one per run: a 'pompe local --out'
directory (client files under run/), a 'pompe bench --out' directory, or a
directory of the reference prototype's clientN.order.log / clientN.exec.log.
For each, and for all together, it prints the commands that finished the
ordering phase (Pompe only) and the execution phase, their rate, and
p50/p90/p99/mean latencies from the first send.

It reads the client records (clientN.records.jsonl) when there are any,
else the latency logs. With the load.json that local and bench write, the
numbers are exactly those the run printed (same window, same histogram);
without it, the window runs from the first send to the last completion.
The combined rate divides by the time covered by at least one run, so runs
made at the same time against one cluster add up and runs one after the
other average. Only runs with equal settings (mode, replicas, batch,
payload, in flight, rate, from load.json) are combined, and runs one after
another only with equal numbers of clients; otherwise the runs with equal
settings are combined in groups and the report says why.

With --json, stdout holds one JSON line (per run, a timeline of per-second
buckets too); with --markdown, one Markdown table row per run. With --plot OUTDIR, charts are written there as PNG and SVG:
latency_cdf, throughput, latency_over_time, fairness and
fairness_out_of_order (when a run has pairs to compare), replica_rss and replica_cpu (when a run has a resources.json)
and, when both modes are among the runs, pompe_vs_hotstuff.

The charts are drawn by pompe-charts, a command of its own that keeps the
plotting library out of pompe: after its report, pompe runs the
pompe-charts next to it (else the one in PATH) with the same directories
and --fairness-delta. Without one it fails after the report and says how
to build it (go build -o DIR/pompe-charts ./cmd/pompe-charts) or to draw
the charts with 'go run ./cmd/pompe-charts report DIR... --out OUTDIR'.

Runs of 'pompe local' record their replicas' resource use in
run/resources.json; the report adds, per such run, CPU cores per replica,
CPU microseconds per command, resident memory (start, end, max of the
largest replica) and bytes sent per command (all, and between replicas).

Fairness, from client records: over every pair of executed commands of
different clients whose first sends are more than Δ apart (client clocks;
all clients of a local run share one), the fraction that executed in send
order, for each --fairness-delta, also split by targeted clients (those
whose id's FNV-1a hash is even, the victims of delay-ts): "earlier
targeted" pairs are those where only the command sent first is targeted.`,
		Example: `  pompe report ./run1
  pompe report ./pompe-b1 ./pompe-b100 ./hotstuff-b1 ./hotstuff-b100 --plot ./plots
  pompe report ./bench-machine1 ./bench-machine2 --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			if jsonOut && markdown {
				return cliexit.Usage(errors.New("--json and --markdown exclude each other"))
			}
			o := report.Options{Fairness: report.FairnessOptions{Deltas: deltas}}
			return runReport(cmd.Context(), dirs, o, jsonOut, markdown, plotDir, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the report as one JSON line on stdout")
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print one Markdown table row per run (mode, batch, rates, p50/p99)")
	cmd.Flags().StringVar(&plotDir, "plot", "", "write PNG and SVG charts into this directory (runs pompe-charts)")
	cmd.Flags().DurationSliceVar(&deltas, "fairness-delta", fairness.DefaultDeltas, "send-time gaps Δ at which fairness is reported (comma separated)")
	return cmd
}

func runReport(ctx context.Context, dirs []string, o report.Options, jsonOut, markdown bool, plotDir string, stdout, stderr io.Writer) error {
	rep, err := report.Load(dirs, o)
	if err != nil {
		return err
	}
	human := stdout
	if jsonOut {
		human = stderr
		line, err := rep.JSON()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", line)
	} else if markdown {
		if err := rep.WriteMarkdown(stdout); err != nil {
			return err
		}
		if err := rep.WriteFairnessMarkdown(stdout); err != nil {
			return err
		}
		if err := rep.WriteResourcesMarkdown(stdout); err != nil {
			return err
		}
	} else {
		if err := rep.WriteTable(stdout); err != nil {
			return err
		}
		if err := rep.WriteFairness(stdout); err != nil {
			return err
		}
		if err := rep.WriteResources(stdout); err != nil {
			return err
		}
	}
	if plotDir != "" {
		deltas := o.Fairness.Deltas
		if deltas == nil {
			deltas = fairness.DefaultDeltas
		}
		// pompe-charts prints "charts: N files in OUTDIR" where the
		// report's human lines go (stderr under --json).
		r := chartcmd.Runner{Stdout: human, Stderr: stderr}
		return r.Run(ctx, chartcmd.ReportArgs(dirs, plotDir, deltas))
	}
	return nil
}
