package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/latency"
	"github.com/pompe-bft/pompe/internal/testnet"
)

func TestRecordsWithRunInfo(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run") // a `pompe local --out` layout
	writeFile(t, filepath.Join(run, "README"), "")
	writeRecords(t, run, 0, []cmd{
		{sent: 0, seq: 1_000, exec: 5_000},
		{sent: 100_000, seq: 102_000, exec: 110_000},
		{sent: 1_500_000, seq: 1_503_000, exec: 0},             // never executed
		{sent: 2_990_000, seq: 2_999_000, exec: 3_000_001},     // executed after the window
		{sent: 2_995_000, seq: 0, exec: 0},                     // closed unsent
		{sent: 2_999_000, seq: 3_000_000, exec: 3_000_000 + 7}, // sequenced exactly at the end
	})
	writeRecords(t, run, 1, []cmd{{sent: 2_000_000, seq: 2_004_000, exec: 2_010_000}})
	writeRunInfo(t, run, runInfo(config.ModePompe, 10, 3_000_000))

	rep, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Runs[0]
	if r.Source != FromRecords || r.Mode != config.ModePompe || r.Batch != 10 || r.Clients != 2 || !r.ExactWindow || r.Label != "pompe batch 10" {
		t.Errorf("run %+v", r)
	}
	if r.Ordered != 6 || r.Executed != 3 || r.DurationS != 3 || r.ExecutedPerS != 1 || r.OrderedPerS != 2 {
		t.Errorf("totals %+v", r.Totals)
	}
	var order, exec latency.Histogram
	for _, us := range []int64{1_000, 2_000, 3_000, 9_000, 1_000, 4_000} {
		order.AddMicros(us)
	}
	for _, us := range []int64{5_000, 10_000, 10_000} {
		exec.AddMicros(us)
	}
	if r.OrderLatencyMs != order.Summary().Millis() || r.ExecLatencyMs != exec.Summary().Millis() {
		t.Errorf("latencies %+v %+v, want %+v %+v", r.OrderLatencyMs, r.ExecLatencyMs, order.Summary().Millis(), exec.Summary().Millis())
	}
	tl := r.Timeline
	if tl.BucketS != 1 || len(tl.Buckets) != 3 {
		t.Fatalf("timeline %+v", tl)
	}
	for i, want := range []struct{ ordered, executed uint64 }{{2, 2}, {1, 0}, {3, 1}} {
		if b := tl.Buckets[i]; b.Ordered != want.ordered || b.Executed != want.executed || b.StartS != float64(i) {
			t.Errorf("bucket %d = %+v, want %+v", i, b, want)
		}
	}
	if rep.Combined.Executed != 3 || rep.Combined.ExecLatencyMs != r.ExecLatencyMs || rep.Combined.DurationS != 3 {
		t.Errorf("combined %+v", rep.Combined)
	}
}

func TestWindowFromTheFilesWithoutRunInfo(t *testing.T) {
	dir := t.TempDir() // a `pompe bench --out` layout without load.json
	writeRecords(t, dir, 0, []cmd{
		{sent: 500_000, exec: 600_000},
		{sent: 700_000, exec: 2_500_000},
	})
	rep, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Runs[0]
	if r.ExactWindow || r.Mode != config.ModeHotStuff || r.WindowStartUs != t0+500_000 || r.Window() != 2*time.Second {
		t.Errorf("run %+v window %v", r, r.Window())
	}
	if r.Executed != 2 || r.ExecutedPerS != 1 || r.Ordered != 0 || len(r.Timeline.Buckets) != 2 {
		t.Errorf("run %+v", r)
	}
	if !strings.HasPrefix(r.Label, "hotstuff ") {
		t.Errorf("label %q", r.Label)
	}
}

func TestModeFromSequencedRecordsOrTestnet(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, 0, []cmd{{sent: 1, seq: 10, exec: 20}})
	rep, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Runs[0]; r.Mode != config.ModePompe || r.Ordered != 1 {
		t.Errorf("records with sequenced times: %+v", r)
	}

	// The testnet's genesis decides when there is one.
	dir = t.TempDir()
	if err := testnet.Generate(testnet.Options{OutDir: filepath.Join(dir, "testnet"), N: 4, Clients: 1, Mode: config.ModeHotStuff}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "run", "README"), "")
	writeRecords(t, filepath.Join(dir, "run"), 0, []cmd{{sent: 1, exec: 20}})
	rep, err = Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Runs[0]; r.Mode != config.ModeHotStuff {
		t.Errorf("mode %q, want the testnet's", r.Mode)
	}
}

func TestReferenceLatencyLogs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "client0.order.log"),
		"2027-01-15 10:00:00.500000 [hotstuff info] 0.002500\n2027-01-15 10:00:01.000000 [hotstuff info] 0.001000\n")
	writeFile(t, filepath.Join(dir, "client0.exec.log"),
		"2027-01-15 10:00:00.600000 [hotstuff info] 0.087000\n\n2027-01-15 10:00:02.000000 [hotstuff info] 0.090000\n")
	writeFile(t, filepath.Join(dir, "client1.exec.log"), "2027-01-15 10:00:01.500000 [hotstuff info] 0.100000\n")
	rep, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Runs[0]
	if r.Source != FromLatencyLogs || r.Mode != config.ModePompe || r.Clients != 2 || r.Ordered != 2 || r.Executed != 3 {
		t.Fatalf("run %+v", r)
	}
	// From the first send (10:00:00.4975) to the last completion (10:00:02).
	if r.Window() != 1502500*time.Microsecond || r.ExecLatencyMs.P99 != 100 || r.OrderLatencyMs.P99 != 2.5 || r.ExecLatencyMs.Mean != 92.333 {
		t.Errorf("window %v, latencies %+v %+v", r.Window(), r.OrderLatencyMs, r.ExecLatencyMs)
	}
}

func TestBadInputIsAnError(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "f")
	writeFile(t, notDir, "x")
	badLog := t.TempDir()
	writeFile(t, filepath.Join(badLog, "client0.exec.log"), "2027-01-15 10:00:00.600000 [hotstuff info] 0.087000\nhello\n")
	badNumber := t.TempDir()
	writeFile(t, filepath.Join(badNumber, "client0.exec.log"), "2027-01-15 10:00:00.600000 [hotstuff info] -1\n")
	badRecord := t.TempDir()
	writeFile(t, filepath.Join(badRecord, "client0.records.jsonl"), "{\"seq\": \"x\"}\n")
	badInfo := t.TempDir()
	writeRecords(t, badInfo, 0, []cmd{{sent: 1, exec: 2}})
	writeFile(t, filepath.Join(badInfo, "load.json"), `{"mode":"raft"}`)
	tests := []struct {
		name string
		dirs []string
		want string
	}{
		{"none", nil, "no result directory"},
		{"missing", []string{filepath.Join(t.TempDir(), "nope")}, "no such file"},
		{"file", []string{notDir}, "not a directory"},
		{"empty", []string{t.TempDir()}, "holds no client records"},
		{"bad log line", []string{badLog}, "client0.exec.log:2"},
		{"bad latency", []string{badNumber}, "not a number of seconds"},
		{"bad record", []string{badRecord}, "client0.records.jsonl"},
		{"bad load.json", []string{badInfo}, "raft"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.dirs, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCovered(t *testing.T) {
	tests := []struct {
		name  string
		spans []span
		want  time.Duration
	}{
		{"none", nil, 0},
		{"one", []span{{10, 20}}, 10},
		{"concurrent", []span{{10, 20}, {12, 22}}, 12},
		{"nested", []span{{10, 30}, {12, 22}}, 20},
		{"apart", []span{{50, 60}, {10, 20}}, 20},
		{"touching", []span{{10, 20}, {20, 25}}, 15},
	}
	for _, tc := range tests {
		if got := covered(tc.spans); got != tc.want {
			t.Errorf("%s: covered = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Two clients' runs at the same time against one cluster add their rates;
// the same runs one after the other average them.
func TestCombinedRates(t *testing.T) {
	mk := func(startUs int64) string {
		dir := t.TempDir()
		writeRecords(t, dir, 0, []cmd{{sent: startUs + 1, exec: startUs + 1000}, {sent: startUs + 2, exec: startUs + 2000}})
		ri := runInfo(config.ModeHotStuff, 1, 1_000_000)
		ri.WindowStartUs, ri.WindowEndUs = t0+startUs, t0+startUs+1_000_000
		writeRunInfo(t, dir, ri)
		return dir
	}
	a, b, later := mk(0), mk(0), mk(5_000_000)
	rep, err := Load([]string{a, b}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Combined.ExecutedPerS != 4 || rep.Combined.DurationS != 1 {
		t.Errorf("concurrent: %+v", rep.Combined)
	}
	rep, err = Load([]string{a, later}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Combined.ExecutedPerS != 2 || rep.Combined.DurationS != 2 {
		t.Errorf("sequential: %+v", rep.Combined)
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "combined") || strings.Contains(table.String(), "ordering") {
		t.Errorf("table:\n%s", table.String())
	}
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(md.String()), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[2], "| hotstuff | 1 | 1 | 1.0 | 2 | - |") {
		t.Errorf("markdown:\n%s", md.String())
	}
	data, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Runs     []map[string]any `json:"runs"`
		Combined map[string]any   `json:"combined"`
	}
	if err := json.Unmarshal(data, &parsed); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"dir", "mode", "executed", "executed_per_s", "exec_latency_ms", "timeline", "duration_s"} {
		if _, ok := parsed.Runs[0][key]; !ok {
			t.Errorf("run JSON lacks %q: %s", key, data)
		}
	}
}

func TestLongRunsGetWiderBuckets(t *testing.T) {
	tests := []struct {
		windowUs  int64
		max       int
		wantWidth float64
		wantN     int
	}{
		{10_000_000, 300, 1, 10},
		{10_400_000, 300, 1, 10}, // a sliver joins the last bucket
		{10_600_000, 300, 1, 11},
		{3_600_000_000, 300, 16, 225},
		{0, 300, 1, 1},
		{10_000_000, 4, 4, 3},
	}
	for _, tc := range tests {
		tl := newTimeline(t0, tc.windowUs, tc.max).result()
		if tl.BucketS != tc.wantWidth || len(tl.Buckets) != tc.wantN {
			t.Errorf("window %dus, max %d: %d buckets of %vs, want %d of %vs", tc.windowUs, tc.max, len(tl.Buckets), tl.BucketS, tc.wantN, tc.wantWidth)
		}
	}
}

// Whatever the samples, the report's totals are the histogram of the
// samples inside the window, and the timeline's buckets add up to them.
func TestReportMatchesTheSamplesProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		windowUs := rapid.Int64Range(1, 20_000_000).Draw(rt, "window")
		n := rapid.IntRange(0, 200).Draw(rt, "n")
		var cmds []cmd
		var order, exec latency.Histogram
		for i := range n {
			sent := rapid.Int64Range(1, windowUs).Draw(rt, "sent")
			c := cmd{sent: sent}
			if rapid.Bool().Draw(rt, "sequenced") {
				c.seq = sent + rapid.Int64Range(0, 3_000_000).Draw(rt, "seqLat")
				if c.seq <= windowUs {
					order.AddMicros(c.seq - sent)
				}
			}
			if rapid.Bool().Draw(rt, "executed") {
				c.exec = sent + rapid.Int64Range(0, 3_000_000).Draw(rt, "execLat")
				if c.exec <= windowUs {
					exec.AddMicros(c.exec - sent)
				}
			}
			_ = i
			cmds = append(cmds, c)
		}
		dir := t.TempDir()
		writeRecords(t, dir, 0, cmds)
		writeRunInfo(t, dir, runInfo(config.ModePompe, 1, windowUs))
		rep, err := Load([]string{dir}, Options{})
		if err != nil {
			rt.Fatal(err)
		}
		r := rep.Runs[0]
		if r.Ordered != order.Count() || r.Executed != exec.Count() ||
			r.OrderLatencyMs != order.Summary().Millis() || r.ExecLatencyMs != exec.Summary().Millis() {
			rt.Fatalf("report %+v, want order %+v exec %+v", r.Totals, order.Summary(), exec.Summary())
		}
		var o, e uint64
		for _, b := range r.Timeline.Buckets {
			o += b.Ordered
			e += b.Executed
		}
		if o != r.Ordered || e != r.Executed {
			rt.Fatalf("timeline adds up to %d/%d, totals %d/%d", o, e, r.Ordered, r.Executed)
		}
	})
}

// Runs of different modes or load settings are not merged into one p50:
// only runs with equal settings are combined, in groups.
func TestCombinedOnlyOverEqualSettings(t *testing.T) {
	mk := func(mode config.Mode, batch int, latUs int64, info bool) string {
		dir := t.TempDir()
		writeRecords(t, dir, 0, []cmd{{sent: 1, seq: 1 + latUs/2, exec: 1 + latUs}, {sent: 2, seq: 2 + latUs/2, exec: 2 + latUs}})
		if info {
			writeRunInfo(t, dir, runInfo(mode, batch, 1_000_000))
		}
		return dir
	}
	pompe1a, pompe1b := mk(config.ModePompe, 1, 1000, true), mk(config.ModePompe, 1, 3000, true)
	pompe100, hotstuff1 := mk(config.ModePompe, 100, 50_000, true), mk(config.ModeHotStuff, 1, 900_000, true)
	unknown := mk(config.ModePompe, 1, 1000, false)
	tests := []struct {
		name     string
		dirs     []string
		combined bool
		groups   [][]int
	}{
		{"same settings", []string{pompe1a, pompe1b}, true, nil},
		{"modes differ", []string{pompe1a, hotstuff1}, false, nil},
		{"batches differ", []string{pompe1a, pompe100}, false, nil},
		{"two alike and two others", []string{pompe1a, hotstuff1, pompe1b, pompe100}, false, [][]int{{1, 3}}},
		{"settings unknown", []string{pompe1a, unknown}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Load(tt.dirs, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if (rep.Combined != nil) != tt.combined || (rep.NotCombined == "") != tt.combined {
				t.Fatalf("combined %+v, not combined %q", rep.Combined, rep.NotCombined)
			}
			var groups [][]int
			for _, g := range rep.Groups {
				groups = append(groups, g.Runs)
				if g.Executed != 4 || g.ExecLatencyMs.P50 > 3.1 {
					t.Errorf("group %+v", g)
				}
			}
			if !reflect.DeepEqual(groups, tt.groups) {
				t.Fatalf("groups %v, want %v", groups, tt.groups)
			}
			var table bytes.Buffer
			if err := rep.WriteTable(&table); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(table.String(), "combined  ") != tt.combined || strings.Contains(table.String(), "not combined") == tt.combined {
				t.Errorf("table:\n%s", table.String())
			}
		})
	}
}

// Runs with equal settings but different numbers of clients are combined
// only when they ran at the same time (bench processes splitting one
// cluster's clients); one after another they are separate measurements.
func TestCombinedClientsOnlyWhenConcurrent(t *testing.T) {
	mk := func(clients int, startUs int64) string {
		dir := t.TempDir()
		for c := range clients {
			writeRecords(t, dir, c, []cmd{{sent: startUs - t0 + 1, seq: startUs - t0 + 500, exec: startUs - t0 + 1000}})
		}
		ri := runInfo(config.ModePompe, 1, 1_000_000)
		ri.Clients, ri.WindowStartUs, ri.WindowEndUs = clients, startUs, startUs+1_000_000
		writeRunInfo(t, dir, ri)
		return dir
	}
	for _, tt := range []struct {
		name     string
		dirs     []string
		combined bool
	}{
		{"same clients, one after another", []string{mk(4, t0), mk(4, t0+5_000_000)}, true},
		{"other clients, at the same time", []string{mk(4, t0), mk(64, t0+100_000)}, true},
		{"other clients, one after another", []string{mk(4, t0), mk(64, t0+5_000_000)}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Load(tt.dirs, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if (rep.Combined != nil) != tt.combined {
				t.Fatalf("combined %+v, not combined %q", rep.Combined, rep.NotCombined)
			}
		})
	}
}
