package local

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/runlog"
)

const metricsPage = `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 37
pompe_net_received_bytes_total{kind="peer",replica="0"} 999
pompe_net_sent_bytes_total{kind="client",replica="0"} 1.5e+06
pompe_net_sent_bytes_total{kind="peer",replica="0"} 4096
pompe_transport_bytes_sent_total{peer="1",replica="0"} 77
broken{ 12
nan_value NaN
`

func TestParseMetrics(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(metricsPage))
	if err != nil {
		t.Fatal(err)
	}
	want := replicaMetrics{goroutines: 37, peerSent: 4096, clientSent: 1_500_000, hasGoroutines: true, hasSent: true}
	if m != want {
		t.Errorf("got %+v, want %+v", m, want)
	}
	m, err = parseMetrics(strings.NewReader("something_else 1\n"))
	if err != nil || m.hasGoroutines || m.hasSent {
		t.Errorf("page without the series: %+v, %v", m, err)
	}
}

// rd builds the readings of one process (or none, pid 0).
func rd(pid int, cpuS float64, rssMiB uint64, peer, cli uint64) reading {
	r := reading{pid: pid, cpuS: cpuS, rssBytes: rssMiB << 20, procOK: pid != 0}
	if pid != 0 {
		r.metrics = replicaMetrics{goroutines: 10, peerSent: peer, clientSent: cli, hasGoroutines: true, hasSent: true}
		r.metricsOK = true
	}
	return r
}

func TestTrackAddsUpAcrossRestarts(t *testing.T) {
	tests := []struct {
		name        string
		rounds      []reading
		wantCPU     float64
		wantPeer    uint64
		wantCli     uint64
		wantMax     uint64
		wantEnd     uint64
		wantSamples int
	}{
		{"steady", []reading{rd(7, 10, 30, 100, 50), rd(7, 11, 40, 300, 60), rd(7, 13, 35, 600, 70)}, 3, 500, 20, 40, 35, 3},
		{"crash and restart", []reading{rd(7, 10, 30, 100, 0), rd(7, 12, 40, 200, 0), rd(0, 0, 0, 0, 0), rd(9, 0.5, 20, 50, 0)},
			2.5, 150, 0, 40, 20, 4},
		{"down at the start", []reading{rd(0, 0, 0, 0, 0), rd(9, 1, 20, 50, 5)}, 1, 50, 5, 20, 20, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tr replicaTrack
			for i, r := range tc.rounds {
				tr.add(r, i == 0, time.Duration(i)*time.Second, true)
			}
			if tr.cpuS != tc.wantCPU || tr.peerSent != tc.wantPeer || tr.cliSent != tc.wantCli ||
				tr.rssMax != tc.wantMax<<20 || tr.rssEnd != tc.wantEnd<<20 || len(tr.samples) != tc.wantSamples {
				t.Errorf("cpu %v peer %d client %d rss max %d end %d samples %d", tr.cpuS, tr.peerSent, tr.cliSent,
					tr.rssMax>>20, tr.rssEnd>>20, len(tr.samples))
			}
			last := tr.samples[len(tr.samples)-1]
			if last.NetSentBytes != tc.wantPeer+tc.wantCli {
				t.Errorf("last sample %+v", last)
			}
		})
	}
}

func TestMergePairsHalvesTheSeries(t *testing.T) {
	in := []ResourceSample{{TS: 1, CPUCores: 1}, {TS: 2, CPUCores: 3}, {TS: 3, CPUCores: 5}}
	got := mergePairs(in)
	if len(got) != 2 || got[0].TS != 2 || got[0].CPUCores != 2 || got[1].TS != 3 {
		t.Errorf("merged %+v", got)
	}
}

func TestResourceReportFigures(t *testing.T) {
	s := &sampler{last: 10 * time.Second, tracks: []replicaTrack{
		{cpuS: 2, peerSent: 1000, cliSent: 500, rssStart: 10 << 20, rssEnd: 20 << 20, rssMax: 30 << 20},
		{cpuS: 4, peerSent: 3000, cliSent: 0, rssStart: 12 << 20, rssEnd: 15 << 20, rssMax: 16 << 20},
	}, selfStart: 1, selfEnd: 3, selfOK: true}
	rr := s.resourceReport(100)
	want := ResourceReport{ReplicaCPUCores: 0.3, ReplicaCPUUsPerCmd: 60000, LoadCPUCores: 0.2, LoadCPUUsPerCmd: 20000,
		AllCPUUsPerCmd: 80000, ReplicaRSSMaxMiB: 30, ReplicaRSSStartMiB: 12, ReplicaRSSEndMiB: 20, NetBytesPerCmd: 45, NetPeerBytesPerCmd: 40}
	rr.Resources, rr.ResourcesNote = nil, ""
	if fmt.Sprint(rr) != fmt.Sprint(want) {
		t.Errorf("got %+v\nwant %+v", rr, want)
	}
	if idle := s.resourceReport(0); idle.ReplicaCPUUsPerCmd != 0 || idle.NetBytesPerCmd != 0 || idle.ReplicaCPUCores != 0.3 {
		t.Errorf("idle figures %+v", idle)
	}
}

func TestReportJSONHasTheResourceFields(t *testing.T) {
	r := &Report{ResourceReport: ResourceReport{Resources: []ReplicaResources{{Replica: 0, Samples: []ResourceSample{{TS: 1}}}}}}
	data, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"replica_cpu_cores", "replica_cpu_us_per_cmd", "load_cpu_cores", "load_cpu_us_per_cmd", "all_cpu_us_per_cmd", "replica_rss_max_mib", "replica_rss_start_mib",
		"replica_rss_end_mib", "net_bytes_per_cmd", "net_peer_bytes_per_cmd", "resources"} {
		if _, ok := got[key]; !ok {
			t.Errorf("key %q missing from %s", key, data)
		}
	}
	sample := got["resources"].([]any)[0].(map[string]any)["samples"].([]any)[0].(map[string]any)
	for _, key := range []string{"t_s", "cpu_cores", "rss_mib", "goroutines", "net_sent_bytes"} {
		if _, ok := sample[key]; !ok {
			t.Errorf("sample key %q missing from %s", key, data)
		}
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil || !strings.Contains(table.String(), "CPU cores each") {
		t.Errorf("table %q, %v", table.String(), err)
	}
}

// TestSamplerReadsAProcessAndItsMetrics samples this test process with a
// metrics page served on loopback.
func TestSamplerReadsAProcessAndItsMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, metricsPage)
	}))
	defer srv.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(srv.URL, "http://")
	var rounds atomic.Int32
	// The scrape gives up after 3/4 of the period: 20 ms periods made the
	// test fail on a loaded machine, where a scrape can take longer.
	s := newSampler(250*time.Millisecond, []replicaTarget{{metricsAddr: addr, dataDir: dir}},
		func(int) int { return os.Getpid() }, func(ResourceRound) { rounds.Add(1) })
	s.begin()
	deadline := time.Now().Add(30 * time.Second) // only keeps a broken test from hanging
	for rounds.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	s.finish()
	s.finish() // idempotent
	rr := s.resourceReport(0)
	samples := rr.Resources[0].Samples
	if len(samples) < 4 || int(rounds.Load()) != len(samples) {
		t.Fatalf("%d samples, %d rounds", len(samples), rounds.Load())
	}
	last := samples[len(samples)-1]
	if last.DiskMiB != 1 || (procStatsSupported && last.RSSMiB == 0) {
		t.Errorf("last sample %+v", last)
	}
	// A scrape that times out leaves its sample without metrics; at least
	// one must have read them.
	scraped := false
	for _, sm := range samples {
		scraped = scraped || sm.Goroutines == 37
	}
	if !scraped {
		t.Errorf("no sample read the metrics page: %+v", samples)
	}
}

const workPage = `pompe_views_total{replica="1"} 200
pompe_sync_seconds_count{replica="1"} 300
pompe_sync_seconds_sum{replica="1"} 0.9
pompe_signatures_total{replica="1"} 400
pompe_signature_checks_total{replica="1"} 1000
pompe_transport_frames_sent_total{peer="0",replica="1"} 500
pompe_transport_frames_sent_total{peer="1",replica="1"} 0
pompe_transport_frames_sent_total{peer="2",replica="1"} 700
pompe_transport_frames_sent_total{peer="clients",replica="1"} 9999
`

func TestParseMetricsReadsTheWorkCounters(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(workPage))
	if err != nil {
		t.Fatal(err)
	}
	want := [numWork]uint64{workViews: 200, workSyncs: 300, workSigned: 400, workVerified: 1000, workPeerFrames: 1200}
	if !m.hasWork || m.work != want {
		t.Errorf("got %v (has %v), want %v", m.work, m.hasWork, want)
	}
	if m, _ := parseMetrics(strings.NewReader(metricsPage)); m.hasWork {
		t.Error("a page without the views counter has work counters")
	}
}

func TestPerViewDividesEachReplicaByItsViews(t *testing.T) {
	s := &sampler{last: 10 * time.Second, tracks: []replicaTrack{
		{cpuS: 1, peerSent: 10_000, work: [numWork]uint64{workViews: 100, workSyncs: 150, workSigned: 200, workVerified: 600, workPeerFrames: 900}},
		{cpuS: 3, peerSent: 60_000, work: [numWork]uint64{workViews: 300, workSyncs: 300, workSigned: 300, workVerified: 1200, workPeerFrames: 1500}},
		{cpuS: 5}, // no metrics read: left out
	}}
	got := s.perView(400)
	want := runlog.PerView{ViewsPerS: 20, CmdsPerView: 2, CPUUs: 10_000, Syncs: 1.25, Signed: 1.5, Verified: 5, PeerMessages: 7, PeerBytes: 150}
	if got == nil || *got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if (&sampler{tracks: []replicaTrack{{cpuS: 1}}}).perView(10) != nil {
		t.Error("per-view figures without any views read")
	}
}

func TestTrackAddsUpWorkAcrossRestarts(t *testing.T) {
	withWork := func(pid int, views uint64) reading {
		r := rd(pid, 1, 10, 0, 0)
		r.metrics.work[workViews], r.metrics.hasWork = views, true
		return r
	}
	var tr replicaTrack
	for i, r := range []reading{withWork(7, 50), withWork(7, 80), withWork(9, 5), withWork(9, 25)} {
		tr.add(r, i == 0, time.Duration(i)*time.Second, true)
	}
	// 30 views by the first process in the window, 25 by its successor.
	if got := tr.work[workViews]; got != 55 {
		t.Errorf("views in the window = %d, want 55", got)
	}
}

// The load generator's CPU is this process's CPU between the window's
// first and last rounds; a failed reading at either end reports none.
func TestLoadCPUSpansTheWindow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		readings []float64 // one per round; the last is the final round
		fail     int       // round whose reading fails (-1: none)
		want     float64   // load CPU seconds
	}{
		{"window", []float64{5, 6, 7, 9}, -1, 4},
		{"first reading failed", []float64{5, 6, 9}, 0, 0},
		{"last reading failed", []float64{5, 6, 9}, 2, 0},
		{"middle rounds are not read", []float64{5, 100, 8}, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &sampler{}
			round := 0
			s.selfCPU = func() (float64, error) {
				if round == tc.fail {
					return 0, errors.New("no /proc")
				}
				return tc.readings[round], nil
			}
			for round = range tc.readings {
				s.readSelf(round == len(tc.readings)-1)
				s.rounds++
			}
			s.last = time.Second
			if got := s.resourceReport(1).LoadCPUCores; got != tc.want {
				t.Errorf("load CPU %v cores over 1 s, want %v", got, tc.want)
			}
		})
	}
}
