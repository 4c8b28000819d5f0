package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/config"
)

const resourcesJSON = `{"replica_cpu_cores":0.245,"replica_cpu_us_per_cmd":6312.4,"replica_rss_max_mib":42.2,
"replica_rss_start_mib":29.4,"replica_rss_end_mib":40.1,"net_bytes_per_cmd":5556.5,"net_peer_bytes_per_cmd":4238.2,
"resources":[{"replica":0,"samples":[{"t_s":0,"cpu_cores":0,"rss_mib":29.4,"goroutines":37,"net_sent_bytes":0,"disk_mib":0.1},
{"t_s":1,"cpu_cores":0.25,"rss_mib":34.7,"goroutines":41,"net_sent_bytes":232049,"disk_mib":0.5}]}]}`

func TestResourcesOfALocalRun(t *testing.T) {
	dir := t.TempDir()
	runDir := filepath.Join(dir, "run")
	writeRecords(t, mkdir(t, runDir), 0, []cmd{{sent: 0, seq: 1000, exec: 2000}})
	writeRunInfo(t, runDir, runInfo(config.ModePompe, 1, 1_000_000))
	writeFile(t, filepath.Join(runDir, ResourcesFileName), resourcesJSON)
	plain := t.TempDir()
	writeRecords(t, plain, 0, []cmd{{sent: 0, exec: 2000}})

	rep, err := Load([]string{dir, plain}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := rep.Runs[0].Resources
	if res == nil || res.ReplicaCPUUsPerCmd != 6312.4 || res.ReplicaRSSMaxMiB != 42.2 || len(res.Resources) != 1 ||
		res.Resources[0].Samples[1].Goroutines != 41 {
		t.Fatalf("resources %+v", res)
	}
	if rep.Runs[1].Resources != nil {
		t.Errorf("a run without resources.json has resources")
	}
	var table, md bytes.Buffer
	if err := rep.WriteResources(&table); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteResourcesMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CPU µs/cmd", "6312", "42.2", "4238"} {
		if !strings.Contains(table.String(), want) || !strings.Contains(md.String(), want) {
			t.Errorf("%q missing from\n%s\n%s", want, table.String(), md.String())
		}
	}
	if n := strings.Count(md.String(), "\n| pompe"); n != 1 {
		t.Errorf("%d Markdown rows:\n%s", n, md.String())
	}
	data, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil || back.Runs[0].Resources.NetPeerBytesPerCmd != 4238.2 {
		t.Errorf("JSON round trip: %v", err)
	}

	// Without any resources.json, nothing is printed.
	rep, err = Load([]string{plain}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	table.Reset()
	if err := rep.WriteResources(&table); err != nil || table.Len() != 0 {
		t.Errorf("resources printed for runs without them: %q, %v", table.String(), err)
	}
}

func TestBadResourcesFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, 0, []cmd{{sent: 0, exec: 2000}})
	writeFile(t, filepath.Join(dir, ResourcesFileName), `{"resources": [`)
	if _, err := Load([]string{dir}, Options{}); err == nil || !strings.Contains(err.Error(), ResourcesFileName) {
		t.Errorf("truncated resources.json: %v", err)
	}
}

func mkdir(t *testing.T, dir string) string {
	t.Helper()
	writeFile(t, filepath.Join(dir, ".keep"), "")
	return dir
}
