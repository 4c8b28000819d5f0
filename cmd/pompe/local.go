package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/cliexit"
	"github.com/pompe-bft/pompe/internal/local"
)

func newLocalCmd() *cobra.Command {
	var (
		opts       local.Options
		mode       string
		jsonOut    bool
		duration   time.Duration
		profileDir string
	)
	cmd := &cobra.Command{
		Use:   "local [flags]",
		Short: "Run a throw-away cluster on this machine under load and print a checked summary",
		Long: `local generates a testnet on loopback (127.0.0.x, free ports) in a temporary
directory, starts every replica as a separate 'pompe node' process, waits until
all accept clients, runs the load generator for --duration, stops the replicas,
checks the execution logs and client records (consistency and ordering
linearizability) and prints throughput and latency.

The load is a closed loop (--inflight batches outstanding per client) unless
--rate sets an open loop (commands per second per client). Commands are
key-value puts of --payload bytes, batched by --batch. Latencies count from a
command's first send: ordering until 2f+1 sequence acks (pompe mode only),
execution until f+1 replicas agree on the result. In the open loop a client
sends at most --inflight batches at once and queues the rest (commands beyond
two seconds of queue are shed and counted); queueing time is not part of the
latencies, so raise --inflight until the executed rate matches the offered one.
With --clients 0 the replicas idle for --duration and only their resource use
is reported.

Every replica is sampled each second (CPU, resident memory, goroutines and
bytes sent, from /proc and its metrics endpoint): the summary adds CPU per
command, memory and network bytes per command.

With --out DIR every log and record is kept in DIR (testnet/, run/ with the
clientN.order.log, clientN.exec.log, clientN.records.jsonl and replicaN.exec.tsv
files, logs/ with each replica's output); --keep keeps the temporary directory.
With --json, stdout holds exactly one line: the summary as JSON; progress and
the table go to stderr.`,
		Example: `  pompe local
  pompe local --mode hotstuff --duration 10s --batch 100 --inflight 4
  pompe local --nodes 7 --clients 8 --rate 2000 --out ./run1 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := parseMode(mode)
			if err != nil {
				return err
			}
			opts.NoLoad = opts.Clients == 0
			opts.Mode, opts.Duration = m, duration
			stopProfile, err := startLocalProfile(profileDir)
			if err != nil {
				return err
			}
			defer stopProfile()
			return runLocal(cmd.Context(), opts, jsonOut, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.IntVarP(&opts.Nodes, "nodes", "n", local.DefaultNodes, "number of replicas")
	f.IntVarP(&opts.Clients, "clients", "c", local.DefaultClients, "number of clients (0: no load, an idle cluster)")
	f.DurationVarP(&duration, "duration", "d", local.DefaultDuration, "measured load window")
	f.StringVar(&mode, "mode", "pompe", "protocol: pompe or hotstuff (the baseline)")
	f.IntVar(&opts.Batch, "batch", local.DefaultBatch, "commands per batch")
	f.IntVar(&opts.PayloadBytes, "payload", local.DefaultPayloadBytes, "bytes per command (an encoded put)")
	f.IntVar(&opts.Inflight, "inflight", local.DefaultInflight, "batches outstanding per client")
	f.IntVar(&opts.OrderingWindow, "ordering-window", 0, "pompe mode: at most this many of a client's batches in the ordering phase (not yet sequenced); with a large --inflight, the reference prototype's load model (0: only --inflight)")
	f.Float64Var(&opts.RatePerClient, "rate", 0, "open loop: commands per second per client (0: closed loop)")
	f.StringVar(&opts.OutDir, "out", "", "keep the testnet, logs and records in this new directory")
	f.BoolVar(&opts.Keep, "keep", false, "keep the temporary directory")
	f.BoolVar(&jsonOut, "json", false, "print the summary as one JSON line on stdout")
	f.DurationVar(&opts.ReadyTimeout, "ready-timeout", local.DefaultReadyTimeout, "how long replicas may take to accept clients")
	f.DurationVar(&opts.StopGrace, "stop-grace", local.DefaultStopGrace, "how long replicas get to exit after SIGTERM before SIGKILL")
	f.IntVar(&opts.ReplicaProcs, "replica-procs", 0, "GOMAXPROCS of each replica process (0: the machine's CPUs divided among the replicas, at least 1, unless GOMAXPROCS is set in the environment)")
	addLocalWANFlag(cmd, &opts)
	addLocalFaultsFlag(cmd, &opts)
	addLocalByzantineFlag(cmd, &opts)
	addLocalAttackFlag(cmd, &opts)
	addLocalProfileFlag(cmd, &profileDir)
	return cmd
}

func runLocal(ctx context.Context, opts local.Options, jsonOut bool, stdout, stderr io.Writer) error {
	// Replicas run in process groups of their own, so a Ctrl-C reaches only
	// this process, which then stops them.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	human := stdout
	if jsonOut {
		human = stderr
	}
	opts.Progress, opts.Interactive, opts.Status = human, isTerminal(human), stderr
	rep, err := local.Run(ctx, opts)
	interrupted := errors.Is(err, local.ErrInterrupted) && rep != nil
	if err != nil && !interrupted {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return errors.New("interrupted before the load started; every replica was stopped")
		}
		return err
	}
	if err := rep.WriteTable(human); err != nil {
		return err
	}
	if jsonOut {
		line, err := rep.JSON()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", line)
	}
	if interrupted {
		return errors.New("interrupted: the summary above covers the run until then; every replica was stopped and the records were kept and checked")
	}
	if !rep.OK() {
		return cliexit.Failed("the run shows violations or replica failures")
	}
	return nil
}
