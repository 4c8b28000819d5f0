package local

import (
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// maxSamplesPerReplica bounds a replica's series. A longer run keeps its
// whole span at a coarser step: adjacent samples are merged in pairs and
// the recording step doubles.
const maxSamplesPerReplica = 3600

// execLogSuffix names a replica's execution log (replicaN.exec.tsv),
// which keeps every executed command and so grows with the run by design.
const execLogSuffix = ".exec.tsv"

// replicaTarget says where to read one replica besides /proc.
type replicaTarget struct {
	metricsAddr string // "" when the replica serves no metrics
	dataDir     string
}

// replicaTrack is the sampler's running account of one replica. CPU and
// network counters start again with each new process; the track adds up
// the increments so that a restarted replica's totals continue.
type replicaTrack struct {
	firstPid int // the process sampled at the start of the window
	cpuPid   int // the process lastCPU belongs to
	lastCPU  float64
	cpuS     float64 // CPU seconds since the window began
	netPid   int
	lastPeer uint64
	lastCli  uint64
	peerSent uint64 // bytes since the window began
	cliSent  uint64
	workPid  int
	lastWork [numWork]uint64
	work     [numWork]uint64 // counts since the window began

	rssStart, rssEnd, rssMax uint64
	goroutines               int

	samples     []ResourceSample
	recordedCPU float64 // cpuS at the last recorded sample
	recordedAt  time.Duration
}

// sampler samples every replica at a fixed period from start until
// finish: CPU and memory from /proc, goroutines and bytes sent from the
// replica's metrics endpoint, disk from its data directory.
type sampler struct {
	every   time.Duration
	targets []replicaTarget
	pid     func(i int) int // the replica's current process; 0 when none runs
	onRound func(ResourceRound)
	hc      *http.Client

	start time.Time
	// selfCPU reads this process's CPU seconds (the load generator runs
	// in it); selfStart and selfEnd are its readings at the window's first
	// and last round, selfOK whether both succeeded.
	selfCPU            func() (float64, error)
	selfStart, selfEnd float64
	selfOK             bool
	rounds             int
	stride             int // rounds per recorded sample
	tracks             []replicaTrack
	last               time.Duration

	stop chan struct{}
	done chan struct{}
}

func newSampler(every time.Duration, targets []replicaTarget, pid func(int) int, onRound func(ResourceRound)) *sampler {
	// A paused replica never answers: its scrape gives up well within the
	// period so a round does not delay the next.
	timeout := min(every*3/4, 2*time.Second)
	return &sampler{
		every: every, targets: targets, pid: pid, onRound: onRound,
		// No gzip: compressing the page would cost the replica more CPU
		// than everything else an idle replica does.
		hc:      &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true}},
		tracks:  make([]replicaTrack, len(targets)),
		stride:  1,
		selfCPU: selfProcessCPU,
	}
}

// begin takes the first round, which opens the window, then samples in
// the background until finish.
func (s *sampler) begin() {
	s.start = time.Now()
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	s.round()
	go func() {
		defer close(s.done)
		ticker := time.NewTicker(s.every)
		defer ticker.Stop()
		for {
			select {
			case <-ticker.C:
				s.round()
			case <-s.stop:
				return
			}
		}
	}()
}

// finish takes the last round, which closes the window, and stops.
func (s *sampler) finish() {
	if s.stop == nil {
		return
	}
	close(s.stop)
	<-s.done
	s.stop = nil
	s.round()
}

// reading is one replica's raw readings in a round.
type reading struct {
	pid       int
	cpuS      float64
	rssBytes  uint64
	procOK    bool
	metrics   replicaMetrics
	metricsOK bool
	diskBytes uint64
	execLog   uint64
}

func (s *sampler) round() {
	at := time.Since(s.start)
	readings := make([]reading, len(s.targets))
	var wg sync.WaitGroup
	for i := range s.targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			readings[i] = s.read(i)
		}()
	}
	wg.Wait()
	// The last round closes the window for the totals; it is recorded
	// unless it comes too soon after the previous sample to give a rate.
	final := s.stop == nil
	record := s.rounds%s.stride == 0 || (final && at-s.last >= s.every/2)
	out := ResourceRound{Elapsed: at, Samples: make([]ResourceSample, len(s.targets))}
	for i := range s.tracks {
		out.Samples[i] = s.tracks[i].add(readings[i], s.rounds == 0, at, record)
	}
	s.readSelf(final)
	s.rounds++
	s.last = at
	if record && len(s.tracks) > 0 && len(s.tracks[0].samples) >= maxSamplesPerReplica {
		for i := range s.tracks {
			s.tracks[i].samples = mergePairs(s.tracks[i].samples)
		}
		s.stride *= 2
	}
	if s.onRound != nil {
		s.onRound(out)
	}
}

// readSelf reads this process's CPU time at the window's first round and
// at its last (final).
func (s *sampler) readSelf(final bool) {
	if s.selfCPU == nil || (s.rounds > 0 && !final) {
		return
	}
	cpu, err := s.selfCPU()
	switch {
	case s.rounds == 0:
		s.selfStart, s.selfOK = cpu, err == nil
	case final:
		s.selfEnd = cpu
		s.selfOK = s.selfOK && err == nil
	}
}

// selfProcessCPU is this process's CPU seconds, from /proc.
func selfProcessCPU() (float64, error) {
	cpu, _, err := readProcStats(os.Getpid())
	return cpu, err
}

func (s *sampler) read(i int) reading {
	r := reading{pid: s.pid(i)}
	if r.pid != 0 {
		var err error
		r.cpuS, r.rssBytes, err = readProcStats(r.pid)
		r.procOK = err == nil
	}
	if addr := s.targets[i].metricsAddr; addr != "" && r.pid != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), s.hc.Timeout)
		m, err := scrapeMetrics(ctx, s.hc, addr)
		cancel()
		r.metrics, r.metricsOK = m, err == nil
	}
	r.diskBytes, r.execLog = dirBytes(s.targets[i].dataDir)
	return r
}

// add accounts one round's readings and returns the replica's sample.
func (t *replicaTrack) add(r reading, first bool, at time.Duration, record bool) ResourceSample {
	if first {
		t.firstPid = r.pid
	}
	// A process seen for the first time counts from zero unless it is the
	// one that was running when the window began.
	if r.procOK {
		switch {
		case r.pid != t.cpuPid && r.pid == t.firstPid:
		case r.pid != t.cpuPid:
			t.cpuS += r.cpuS
		default:
			t.cpuS += max(r.cpuS-t.lastCPU, 0)
		}
		t.cpuPid, t.lastCPU = r.pid, r.cpuS
	}
	if r.metricsOK && r.metrics.hasSent {
		peer, cli := r.metrics.peerSent, r.metrics.clientSent
		switch {
		case r.pid != t.netPid && r.pid == t.firstPid:
		case r.pid != t.netPid:
			t.peerSent += peer
			t.cliSent += cli
		default:
			t.peerSent += peer - min(t.lastPeer, peer)
			t.cliSent += cli - min(t.lastCli, cli)
		}
		t.netPid, t.lastPeer, t.lastCli = r.pid, peer, cli
	}
	if r.metricsOK && r.metrics.hasWork {
		for k, v := range r.metrics.work {
			switch {
			case r.pid != t.workPid && r.pid == t.firstPid:
			case r.pid != t.workPid:
				t.work[k] += v
			default:
				t.work[k] += v - min(t.lastWork[k], v)
			}
		}
		t.workPid, t.lastWork = r.pid, r.metrics.work
	}
	rss := uint64(0)
	if r.procOK {
		rss = r.rssBytes
	}
	if first {
		t.rssStart = rss
	}
	t.rssEnd, t.rssMax = rss, max(t.rssMax, rss)
	t.goroutines = 0
	if r.metricsOK && r.metrics.hasGoroutines {
		t.goroutines = r.metrics.goroutines
	}
	cores := 0.0
	if dt := (at - t.recordedAt).Seconds(); dt > 0 && !first {
		cores = (t.cpuS - t.recordedCPU) / dt
	}
	smp := ResourceSample{
		TS: round3(at.Seconds()), CPUCores: round3(cores), RSSMiB: round3(mib(rss)), Goroutines: t.goroutines,
		NetSentBytes: t.peerSent + t.cliSent, DiskMiB: round3(mib(r.diskBytes)), ExecLogMiB: round3(mib(r.execLog)),
	}
	if record {
		t.samples = append(t.samples, smp)
		t.recordedCPU, t.recordedAt = t.cpuS, at
	}
	return smp
}

// mergePairs halves a series: each pair becomes its later sample with
// the pair's mean CPU.
func mergePairs(in []ResourceSample) []ResourceSample {
	out := in[:0]
	for i := 0; i < len(in); i += 2 {
		if i+1 == len(in) {
			out = append(out, in[i])
			break
		}
		m := in[i+1]
		m.CPUCores = round3((in[i].CPUCores + in[i+1].CPUCores) / 2)
		out = append(out, m)
	}
	return out
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// dirBytes is the disk space the files under dir take (allocated
// blocks where the system says, so preallocated files count in full), and
// of it the execution logs'. Files that vanish while it walks
// (compactions) are skipped.
func dirBytes(dir string) (total, execLogs uint64) {
	if dir == "" {
		return 0, 0
	}
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		n := diskBytes(info)
		total += n
		if strings.HasSuffix(path, execLogSuffix) {
			execLogs += n
		}
		return nil
	})
	return total, execLogs
}
