package soak

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestShortSoakOfRealReplicas runs the whole path once: 4 real replicas
// for 24 s under the mixed fault preset, sampled every 2 s.
func TestShortSoakOfRealReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real replicas for half a minute")
	}
	bin := filepath.Join(t.TempDir(), "pompe")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/pompe-bft/pompe/cmd/pompe").CombinedOutput(); err != nil {
		t.Fatalf("build pompe: %v\n%s", err, out)
	}
	// pompe-charts next to pompe draws plots/, as it does for an installed pompe.
	chartsBin := filepath.Join(filepath.Dir(bin), "pompe-charts")
	if out, err := exec.Command("go", "build", "-o", chartsBin, "github.com/pompe-bft/pompe/cmd/pompe-charts").CombinedOutput(); err != nil {
		t.Fatalf("build pompe-charts: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "soak")
	// A 4 s warm-up and a 10 s judged window, far below what a verdict
	// needs (DefaultMinJudged), so that this short run takes the judging path.
	res, err := Run(ctx, Options{Nodes: 4, Clients: 2, Duration: 24 * time.Second, Sample: 2 * time.Second,
		Warmup: 4 * time.Second, MinJudged: 10 * time.Second, Faults: "mixed", OutDir: out, Executable: bin})
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	res.WriteTable(&table)
	t.Log("\n" + table.String())
	if want := "charts: " + filepath.Join(out, PlotsDirName) + "\n"; !strings.Contains(table.String(), want) {
		t.Errorf("table lacks %q", want)
	}
	if !res.Consistent || res.Executed == 0 || res.FaultsApplied != 6 {
		t.Errorf("consistent %v, executed %d, faults applied %d", res.Consistent, res.Executed, res.FaultsApplied)
	}
	if !res.Judged || res.WarmupS != 4 {
		t.Errorf("judged %v, warm-up %v s", res.Judged, res.WarmupS)
	}
	if len(res.Verdicts) != 3 {
		t.Fatalf("verdicts %+v", res.Verdicts)
	}
	for _, v := range res.Verdicts {
		if v.Skipped != "" || v.Samples < minTrendSamples || v.FirstQuarterMean <= 0 {
			t.Errorf("verdict %+v", v)
		}
	}
	for _, name := range []string{JSONFileName, CSVFileName, ScheduleFileName,
		filepath.Join(PlotsDirName, "replica_rss.png"), filepath.Join(PlotsDirName, "replica_goroutines.svg"),
		filepath.Join(PlotsDirName, "replica_disk.png"), filepath.Join("run", "resources.json")} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(out, JSONFileName))
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"verdicts", "judged", "warmup_s", "bounded", "consistent", "lost_acknowledged", "consistency_violations",
		"replica_rss_max_mib", "exec_log_bytes_per_cmd"} {
		if _, ok := fields[key]; !ok {
			t.Errorf("soak.json lacks %q", key)
		}
	}
	csvData, err := os.ReadFile(filepath.Join(out, CSVFileName))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(csvData), "\n"); lines < 1+4*minTrendSamples {
		t.Errorf("soak.csv has %d lines", lines)
	}
	if _, err := Run(ctx, Options{Duration: 24 * time.Second, Sample: 2 * time.Second, OutDir: out, Executable: bin}); err == nil {
		t.Error("a second soak into the same directory was accepted")
	}
}

func TestOptionsAreChecked(t *testing.T) {
	for _, bad := range []Options{
		{Duration: time.Minute}, // no output directory
		{OutDir: "x", Duration: 10 * time.Second, Sample: 5 * time.Second}, // too few samples
		{OutDir: "x", Duration: -time.Second},
	} {
		if _, err := Run(context.Background(), bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
