package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/cliexit"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/latency"
	"github.com/pompe-bft/pompe/internal/loadgen"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// benchFlags are the options of `pompe bench`.
type benchFlags struct {
	testnetDir string
	clients    int
	offset     int
	duration   time.Duration
	batch      int
	payload    int
	inflight   int
	rate       float64
	out        string
	json       bool
	firstSeq   uint64
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench --testnet DIR [flags]",
		Short: "Load a running cluster with the load generator and measure it",
		Long: `bench runs the load generator alone against a cluster that is already running
(started with 'pompe node', on this machine or elsewhere), described by a
testnet directory (testnet.toml: the genesis and the client key files). It
uses --clients of the testnet's client keys from --client-offset on, loads the cluster for
--duration and prints throughput and latency.

Into --out (a new directory; default: a new temporary directory, kept) it
writes per client clientN.order.log and clientN.exec.log (the reference
prototype's format), clientN.records.jsonl (the run records) and load.json
(the load and its exact window). 'pompe report' reads that directory and
prints the same numbers.

Sequence numbers: a client numbers its commands from --first-seq, and
replicas skip a command whose client already used its number. The testnet's
client keys are the same in every run, so by default the first number is
the current Unix time in microseconds: every run starts above the numbers
of any earlier run with the same keys as long as no client issued more than
one command per microsecond, and 'pompe client' numbers its commands the
same way. Give --first-seq explicitly only with fresh keys or to replay a
numbering.

Several bench processes (on several machines, each with its own range of
client keys: --client-offset) can load one cluster at once; 'pompe report' over all
their directories adds up their rates.`,
		Example: `  pompe testnet --nodes 4 --clients 8 --out ./tn   # then start the 4 replicas
  pompe bench --testnet ./tn --duration 30s --batch 100 --inflight 4 --out ./b100
  pompe bench --testnet ./tn --clients 2 --rate 5000 --json
  pompe report ./b100`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.testnetDir, "testnet", "", "testnet directory of the running cluster (holds testnet.toml)")
	fl.IntVarP(&f.clients, "clients", "c", 0, "number of clients, from the testnet's client keys (0: all from --client-offset on)")
	fl.IntVar(&f.offset, "client-offset", 0, "index of the first testnet client key to use")
	fl.DurationVarP(&f.duration, "duration", "d", 30*time.Second, "measured load window")
	fl.IntVar(&f.batch, "batch", loadgen.DefaultBatchCommands, "commands per batch")
	fl.IntVar(&f.payload, "payload", loadgen.DefaultPayloadBytes, "bytes per command (an encoded put)")
	fl.IntVar(&f.inflight, "inflight", loadgen.DefaultInflight, "closed loop: batches outstanding per client")
	fl.Float64Var(&f.rate, "rate", 0, "open loop: commands per second per client (0: closed loop)")
	fl.StringVar(&f.out, "out", "", "new directory for the logs and records (default: a new temporary directory)")
	fl.BoolVar(&f.json, "json", false, "print the summary as one JSON line on stdout")
	fl.Uint64Var(&f.firstSeq, "first-seq", 0, "first command sequence number of every client (0: the current Unix time in microseconds)")
	return cmd
}

// benchResult is what `pompe bench --json` prints.
type benchResult struct {
	Mode           config.Mode    `json:"mode"`
	Replicas       int            `json:"replicas"`
	Clients        int            `json:"clients"`
	DurationS      float64        `json:"duration_s"`
	Batch          int            `json:"batch"`
	PayloadBytes   int            `json:"payload"`
	Inflight       int            `json:"inflight"`
	RatePerClient  float64        `json:"rate_per_client"`
	FirstSeq       uint64         `json:"first_seq"`
	Submitted      uint64         `json:"submitted"`
	Ordered        uint64         `json:"ordered"`
	Executed       uint64         `json:"executed"`
	OrderedPerS    float64        `json:"ordered_per_s"`
	ExecutedPerS   float64        `json:"executed_per_s"`
	OrderLatencyMs latency.Millis `json:"order_latency_ms"`
	ExecLatencyMs  latency.Millis `json:"exec_latency_ms"`
	Retries        uint64         `json:"retries"`
	Shed           uint64         `json:"shed"`
	Dir            string         `json:"dir"`
}

func runBench(ctx context.Context, f benchFlags, stdout, stderr io.Writer) error {
	ci, err := testnet.LoadClusterInfo(f.testnetDir)
	if err != nil {
		return err
	}
	n := f.clients
	if n == 0 {
		n = len(ci.ClientKeyFiles) - f.offset
	}
	if n <= 0 || f.offset+n > len(ci.ClientKeyFiles) {
		return cliexit.Usage(fmt.Errorf("--clients %d from --client-offset %d: the testnet in %s has %d client keys (pompe testnet --clients N makes more)",
			n, f.offset, f.testnetDir, len(ci.ClientKeyFiles)))
	}
	keys := make([]crypto.PrivateKey, n)
	for k := range keys {
		if keys[k], err = ci.ClientKey(f.offset + k); err != nil {
			return err
		}
	}
	out, err := benchOutDir(f.out)
	if err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(out, "clients.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	firstSeq := f.firstSeq
	if firstSeq == 0 {
		firstSeq = uint64(time.Now().UnixMicro())
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stderr, "connecting %d clients to %d replicas (%s)\n", n, len(ci.Genesis.Replicas), ci.Genesis.Mode)
	gen, err := loadgen.New(ctx, loadgen.Options{
		Genesis: ci.Genesis, ClientKeys: keys, OutDir: out, Duration: f.duration,
		Inflight: f.inflight, RatePerClient: f.rate, BatchCommands: f.batch, PayloadBytes: f.payload,
		FirstSeq: firstSeq,
		Logger:   slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "loading for %v; records go to %s\n", f.duration, out)
	s, runErr := gen.Run(ctx)
	res := benchResult{
		Mode: s.Mode, Replicas: len(ci.Genesis.Replicas), Clients: s.Clients,
		DurationS: latency.Round3(s.Window.Seconds()), Batch: f.batch, PayloadBytes: f.payload,
		Inflight: f.inflight, RatePerClient: f.rate, FirstSeq: firstSeq,
		Submitted: s.Submitted, Ordered: s.Ordered, Executed: s.Executed,
		OrderedPerS: latency.Round3(s.OrderedPerSec), ExecutedPerS: latency.Round3(s.ExecutedPerSec),
		OrderLatencyMs: s.OrderLatency.Millis(), ExecLatencyMs: s.ExecLatency.Millis(),
		Retries: s.Retries, Shed: s.Shed, Dir: out,
	}
	human := stdout
	if f.json {
		human = stderr
	}
	writeBenchTable(human, res)
	if f.json {
		line, err := json.Marshal(res)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", line)
	}
	if runErr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted after %.1f s; the records so far are in %s", res.DurationS, out)
		}
		return runErr
	}
	return nil
}

// benchOutDir creates the output directory: a new or empty one, never one
// holding an earlier run's files.
func benchOutDir(dir string) (string, error) {
	if dir == "" {
		return os.MkdirTemp("", "pompe-bench-")
	}
	entries, err := os.ReadDir(dir)
	if err == nil && len(entries) > 0 {
		return "", cliexit.Usage(fmt.Errorf("--out %s is not empty; choose a new directory", dir))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return dir, nil
}

func writeBenchTable(w io.Writer, r benchResult) {
	load := fmt.Sprintf("closed loop, %d batches in flight per client", r.Inflight)
	if r.RatePerClient > 0 {
		load = fmt.Sprintf("open loop, %g commands/s per client", r.RatePerClient)
	}
	fmt.Fprintf(w, "%s: %d replicas, %d clients, %.1f s, batch %d, payload %d B, %s\n",
		r.Mode, r.Replicas, r.Clients, r.DurationS, r.Batch, r.PayloadBytes, load)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tcommands\tper s\tp50 ms\tp90 ms\tp99 ms\tmean ms\t")
	row := func(name string, n uint64, perS float64, l latency.Millis) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", name, n, perS, l.P50, l.P90, l.P99, l.Mean)
	}
	if r.Mode == config.ModePompe {
		row("ordering", r.Ordered, r.OrderedPerS, r.OrderLatencyMs)
	}
	row("execution", r.Executed, r.ExecutedPerS, r.ExecLatencyMs)
	tw.Flush()
	fmt.Fprintf(w, "submitted %d, retries %d, shed %d; first sequence number %d\nlogs and records in %s\n",
		r.Submitted, r.Retries, r.Shed, r.FirstSeq, r.Dir)
}
