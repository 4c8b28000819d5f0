package local

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/pompe-bft/pompe/internal/attack"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/testnet"
	"github.com/pompe-bft/pompe/internal/wan"
)

// Options describe one local run.
type Options struct {
	Nodes   int
	Clients int
	// NoLoad starts no client: the replicas idle for Duration, which
	// measures what an idle cluster costs. Clients is then ignored.
	NoLoad bool
	Mode   config.Mode
	// Duration is the measured load window.
	Duration     time.Duration
	Batch        int // commands per batch
	PayloadBytes int // bytes per command
	Inflight     int // batches outstanding per client
	// OrderingWindow bounds each client's batches in the ordering phase
	// (Pompe mode; 0: only Inflight); see loadgen.Options.OrderingWindow.
	OrderingWindow int
	RatePerClient  float64 // commands/s per client; 0: closed loop

	// WAN, when set, emulates this latency matrix: replicas and clients
	// are placed in its regions round robin.
	WAN *wan.Matrix
	// Faults, if set, is a fault schedule (a preset name of
	// internal/faults or a schedule file) run against the replicas during
	// the load; replicas then serve fault control on a metrics address.
	Faults string
	// Byzantine, if set, is "KIND[:COUNT]": COUNT replicas (default f)
	// run as Byzantine replicas of that kind (internal/byzantine). They
	// are left out of the checks, which judge every correct replica.
	Byzantine string
	// Attack, if set, names a hostile client of internal/attack run against
	// every replica during the load, so a person can watch the replicas
	// hold (hidden flag of pompe local: --attack KIND).
	Attack string
	// AttackDialRate bounds the attacker's dials per second (hidden flag
	// --attack-dial-rate; 0: unbounded). The attacker runs on the replicas'
	// own cores here, and an unbounded dialer spends most of a core of its
	// own, kernel included, on refused connections: that measures the
	// attacker's machine, which a real one brings itself.
	AttackDialRate int
	// ReplicaProcs is each replica process's GOMAXPROCS. 0: the machine's
	// CPUs divided among the replicas, at least 1, unless GOMAXPROCS is set
	// in the environment (the replicas inherit it). Colocated replicas
	// share the cores: with more Ps than their share, a process's idle Ps
	// spin looking for work that another replica's process is waiting to
	// run on the same core.
	ReplicaProcs int
	// OutDir, if set, receives the testnet, every log and the run records,
	// and is kept. Otherwise a temporary directory is used and removed at
	// the end unless Keep is set.
	OutDir string
	Keep   bool

	// Executable is the pompe binary that runs replicas as "Executable node
	// --home DIR" (default: this process's own executable).
	Executable string

	// Progress, if set, receives a progress report while the load runs:
	// one line rewritten in place when Interactive (a terminal), plain
	// lines every ProgressEvery otherwise.
	Progress      io.Writer
	Interactive   bool
	ProgressEvery time.Duration
	// Status, if set, receives one line per stage (testnet written,
	// replicas ready, stopping...).
	Status io.Writer

	// SampleEvery is the period of the resource samples taken of every
	// replica during the load (default 1 s); OnSample, if set, receives
	// each round of samples as it is taken.
	SampleEvery time.Duration
	OnSample    func(ResourceRound)

	// ReadyTimeout bounds the wait for replicas to accept connections;
	// StopGrace is how long replicas get to exit after SIGTERM.
	ReadyTimeout time.Duration
	StopGrace    time.Duration
}

// Defaults and bounds.
const (
	DefaultNodes         = 4
	DefaultClients       = 4
	DefaultDuration      = 30 * time.Second
	DefaultBatch         = 1
	DefaultPayloadBytes  = 64
	DefaultInflight      = 1
	DefaultProgressEvery = time.Second
	DefaultSampleEvery   = time.Second
	DefaultReadyTimeout  = 30 * time.Second
	DefaultStopGrace     = 10 * time.Second
	// MaxNodes is bounded by the distinct loopback addresses 127.0.0.1..254.
	MaxNodes   = 254
	MaxClients = 1000
)

func (o Options) withDefaults() (Options, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Nodes, DefaultNodes)
	if o.NoLoad {
		o.Clients = 0
	} else {
		def(&o.Clients, DefaultClients)
	}
	def(&o.Batch, DefaultBatch)
	def(&o.PayloadBytes, DefaultPayloadBytes)
	def(&o.Inflight, DefaultInflight)
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defDur(&o.Duration, DefaultDuration)
	defDur(&o.ProgressEvery, DefaultProgressEvery)
	defDur(&o.SampleEvery, DefaultSampleEvery)
	defDur(&o.ReadyTimeout, DefaultReadyTimeout)
	defDur(&o.StopGrace, DefaultStopGrace)
	if o.Mode == "" {
		o.Mode = config.ModePompe
	}
	if o.Executable == "" {
		exe, err := os.Executable()
		if err != nil {
			return o, fmt.Errorf("local: cannot find the pompe binary to start replicas with: %w", err)
		}
		o.Executable = exe
	}
	return o, o.validate()
}

func (o Options) validate() error {
	switch {
	case o.Nodes < 1 || o.Nodes > MaxNodes:
		return fmt.Errorf("local: %d nodes, want 1..%d", o.Nodes, MaxNodes)
	case !o.NoLoad && (o.Clients < 1 || o.Clients > MaxClients):
		return fmt.Errorf("local: %d clients, want 1..%d", o.Clients, MaxClients)
	case o.NoLoad && o.Faults != "":
		return errors.New("local: faults are judged by the clients' records; run them with clients")
	case !o.Mode.Valid():
		return fmt.Errorf("local: mode %q, want %q or %q", o.Mode, config.ModePompe, config.ModeHotStuff)
	case o.Duration < 0 || o.ProgressEvery < 0 || o.ReadyTimeout < 0 || o.StopGrace < 0 || o.SampleEvery < 0:
		return errors.New("local: negative duration")
	}
	if o.Attack != "" {
		if _, err := attack.Parse(o.Attack); err != nil {
			return fmt.Errorf("local: --attack: %w", err)
		}
	}
	if o.OrderingWindow < 0 || o.OrderingWindow > o.Inflight {
		return fmt.Errorf("local: --ordering-window %d: want 0..--inflight (%d)", o.OrderingWindow, o.Inflight)
	}
	if o.ReplicaProcs < 0 {
		return errors.New("local: --replica-procs must not be negative")
	}
	if o.AttackDialRate < 0 {
		return errors.New("local: --attack-dial-rate must not be negative")
	}
	return o.validateByzantine()
}

// Layout of a run directory.
const (
	testnetDirName = "testnet"
	runDirName     = "run"
	logsDirName    = "logs"
)

func replicaLogName(i int) string { return testnet.NodeDirName(i) + ".log" }

// replicaEnv is the environment of every replica process: this process's,
// with GOMAXPROCS set as ReplicaProcs says.
func (o *Options) replicaEnv() []string {
	env := os.Environ()
	procs := o.ReplicaProcs
	if procs == 0 {
		if os.Getenv("GOMAXPROCS") != "" {
			return env
		}
		procs = max(1, runtime.NumCPU()/max(1, o.Nodes))
	}
	return append(env, "GOMAXPROCS="+strconv.Itoa(procs))
}
