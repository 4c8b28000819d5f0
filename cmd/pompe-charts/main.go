package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/cliexit"

	"github.com/pompe-bft/pompe/internal/fairness"
	"github.com/pompe-bft/pompe/internal/report"
	"github.com/pompe-bft/pompe/internal/report/charts"
	"github.com/pompe-bft/pompe/internal/soak"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit code. Errors are
// printed on one line, prefixed with "pompe-charts:".
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cliexit.Run(ctx, newRootCmd(stdout, stderr), args, stderr, "pompe-charts", "Run 'pompe-charts COMMAND --help' for usage.")
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "pompe-charts",
		Short: "Draw pompe's charts (PNG and SVG) of finished runs and soaks",
		Long: `pompe-charts draws the charts that 'pompe report --plot' and 'pompe soak'
offer; they run it when it is next to the pompe executable or in PATH. It
is a command of its own so that the plotting library stays out of pompe.`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cliexit.Usage(errors.New("name a command: report or soak"))
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newReportCmd(), newSoakCmd())
	return root
}

func newReportCmd() *cobra.Command {
	var (
		out    string
		deltas []time.Duration
	)
	cmd := &cobra.Command{
		Use:   "report DIR... --out PLOTDIR [--fairness-delta D,...]",
		Short: "Draw the charts of 'pompe report --plot' from run directories",
		Long: `report reads the run directories that 'pompe report' reads, as it does, and
writes into PLOTDIR as PNG and SVG: latency_cdf, throughput,
latency_over_time, fairness and fairness_out_of_order (when a run has
pairs to compare), replica_rss and replica_cpu (when a run has a
resources.json) and, when both modes are among the runs,
pompe_vs_hotstuff. 'pompe report DIR... --plot PLOTDIR' runs it with the
same directories and --fairness-delta.`,
		Example: `  pompe-charts report ./pompe-b1 ./hotstuff-b1 --out ./plots
  go run ./cmd/pompe-charts report ./run1 --out ./plots --fairness-delta 0s,1ms`,
		Args: cobra.MinimumNArgs(1),
		PreRunE: func(*cobra.Command, []string) error {
			var errs []error
			if strings.TrimSpace(out) == "" {
				errs = append(errs, errors.New("--out is required"))
			}
			for _, d := range deltas {
				if d < 0 {
					errs = append(errs, fmt.Errorf("--fairness-delta %v: want a duration that is not negative", d))
					break
				}
			}
			if len(errs) > 0 {
				return cliexit.Usage(errors.Join(errs...))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, dirs []string) error {
			rep, err := report.Load(dirs, report.Options{Fairness: report.FairnessOptions{Deltas: deltas}})
			if err != nil {
				return err
			}
			files, err := charts.Write(rep, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "charts: %d files in %s\n", len(files), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to write the PNG and SVG charts into")
	cmd.Flags().DurationSliceVar(&deltas, "fairness-delta", fairness.DefaultDeltas, "send-time gaps Δ of the fairness charts (comma separated)")
	return cmd
}

func newSoakCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "soak DIR",
		Short: "Draw the charts of a soak from its soak.csv",
		Long: `soak reads DIR/` + soak.CSVFileName + `, which 'pompe soak --out DIR' writes, and
draws into DIR/` + soak.PlotsDirName + `, as PNG and SVG: replica_rss, replica_cpu,
replica_goroutines and replica_disk, one line per replica. 'pompe soak'
runs it after its run.`,
		Example: `  pompe-charts soak ./soak1
  go run ./cmd/pompe-charts soak ./soak1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			replicas, err := soak.ReadCSV(filepath.Join(args[0], soak.CSVFileName))
			if err != nil {
				return err
			}
			if len(replicas) == 0 {
				return fmt.Errorf("%s holds no samples: nothing to draw", filepath.Join(args[0], soak.CSVFileName))
			}
			dir := filepath.Join(args[0], soak.PlotsDirName)
			files, err := charts.WriteReplicaSeries(replicas, dir)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "charts: %d files in %s\n", len(files), dir)
			return nil
		},
	}
}
