package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/cliexit"
	"github.com/pompe-bft/pompe/internal/faults"
	"github.com/pompe-bft/pompe/internal/local"
	"github.com/pompe-bft/pompe/internal/soak"
)

func newSoakCmd() *cobra.Command {
	var (
		opts soak.Options
		mode string
	)
	cmd := &cobra.Command{
		Use:   "soak [flags]",
		Short: "Run a local cluster for a long time and judge whether memory, goroutines and disk stay bounded",
		Long: `soak runs a 'pompe local' cluster of real replica processes under load for
--duration (default 30 minutes), optionally repeating a fault schedule (--faults,
a preset or a schedule file as 'pompe local --faults' takes it) every
--fault-cycle over the whole run. Every --sample it records each replica's
resident memory, goroutines, CPU and the disk its data directory takes, and
prints a progress line on stderr.

At the end it prints, for resident memory, goroutines and the block store's
disk (the data directory without the execution log, which keeps every command
by design and is reported in bytes per command), the mean of the first
quarter of the judged window against that of its last quarter and the
least-squares slope per hour, flagged GROWING when the last quarter exceeds
the first by more than 20% and by more than a floor (8 MiB, 10 goroutines,
64 MiB of store) with a rising slope; and the consistency check of the run (no
violation, no lost acknowledged command, every replica caught up). It exits
non-zero unless both hold.

The judged window leaves out a --warmup (default: a quarter of the run, at
least 2 minutes), while caches, memtables and the heap fill to their plateau.
A verdict needs at least 10 minutes after the warm-up, so a soak shorter than
13m20s (with the default warm-up) is reported as too short to judge: its
figures are printed for information and only its consistency checks decide
the exit code.

--out receives the cluster's files (testnet/, run/, logs/), soak.json (the
verdict), soak.csv (one row per replica and sample), faults.toml (the repeated
schedule) and plots/ (replica_rss, replica_cpu, replica_goroutines and
replica_disk, PNG and SVG). The plots are drawn by pompe-charts when it is
next to pompe or in PATH; without it the soak still passes or fails on its
own, and its last lines say how to draw them ('go run ./cmd/pompe-charts
soak OUT').`,
		Example: `  pompe soak --out ./soak1
  pompe soak --duration 3m --faults mixed --out ./soak-mixed
  pompe soak --duration 2h --nodes 7 --mode hotstuff --batch 10 --sample 30s --out ./soak-long`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := parseMode(mode)
			if err != nil {
				return err
			}
			opts.Mode = m
			return runSoak(cmd.Context(), opts, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.IntVarP(&opts.Nodes, "nodes", "n", local.DefaultNodes, "number of replicas")
	f.IntVarP(&opts.Clients, "clients", "c", local.DefaultClients, "number of clients")
	f.DurationVarP(&opts.Duration, "duration", "d", soak.DefaultDuration, "how long the soak runs")
	f.StringVar(&mode, "mode", "pompe", "protocol: pompe or hotstuff (the baseline)")
	f.IntVar(&opts.Batch, "batch", local.DefaultBatch, "commands per batch")
	f.IntVar(&opts.Inflight, "inflight", local.DefaultInflight, "batches outstanding per client")
	f.Float64Var(&opts.RatePerClient, "rate", 0, "open loop: commands per second per client (0: closed loop)")
	f.StringVar(&opts.Faults, "faults", "", "repeat a fault schedule over the run: a preset ("+strings.Join(faults.Presets, ", ")+") or a schedule file")
	f.DurationVar(&opts.FaultCycle, "fault-cycle", soak.DefaultFaultCycle, "length of one repetition of the fault schedule")
	f.DurationVar(&opts.Sample, "sample", soak.DefaultSample, "period of the resource samples")
	f.DurationVar(&opts.Warmup, "warmup", 0, "start of the run left out of the boundedness verdict (0: a quarter of --duration, at least 2m)")
	f.StringVar(&opts.OutDir, "out", "", "new directory for the cluster's files, soak.json, soak.csv and plots")
	return cmd
}

func runSoak(ctx context.Context, opts soak.Options, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	opts.Progress = stderr
	if exe, err := os.Executable(); err == nil {
		opts.Executable = exe
	}
	res, err := soak.Run(ctx, opts)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return errors.New("interrupted; every replica was stopped")
		}
		return err
	}
	res.WriteTable(stdout)
	if !res.OK() {
		return cliexit.Failed("the soak shows unbounded growth, violations or replica failures")
	}
	return nil
}
