package charts

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pompe-bft/pompe/internal/report"
)

func TestWriteDrawsReplicaResources(t *testing.T) {
	with, without := syntheticRun(t, "pompe", 1), syntheticRun(t, "hotstuff", 1)
	const resources = `{"replica_cpu_cores":0.2,"resources":[
{"replica":0,"samples":[{"t_s":0,"cpu_cores":0,"rss_mib":29},{"t_s":1,"cpu_cores":0.25,"rss_mib":34},{"t_s":2,"cpu_cores":0.2,"rss_mib":35}]},
{"replica":1,"samples":[{"t_s":0,"cpu_cores":0,"rss_mib":30},{"t_s":1,"cpu_cores":0.3,"rss_mib":33}]}]}`
	if err := os.WriteFile(filepath.Join(with, report.ResourcesFileName), []byte(resources), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := report.Load([]string{without}, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if hasResources(rep) {
		t.Error("a run without resources.json has resources to draw")
	}
	rep, err = report.Load([]string{with, without}, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := Write(rep, out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ReplicaRSS, ReplicaCPU} {
		checkPNG(t, filepath.Join(out, name+".png"))
		checkSVG(t, filepath.Join(out, name+".svg"))
	}
}

func TestWriteReplicaSeries(t *testing.T) {
	series := []report.ReplicaSeries{{Replica: 0, Samples: []report.ResourceSample{
		{TS: 0, RSSMiB: 30, Goroutines: 40, DiskMiB: 64, ExecLogMiB: 1},
		{TS: 10, RSSMiB: 31, Goroutines: 41, DiskMiB: 65, ExecLogMiB: 2, CPUCores: 0.1}}}}
	out := t.TempDir()
	files, err := WriteReplicaSeries(series, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 8 {
		t.Errorf("files %v", files)
	}
	for _, name := range []string{ReplicaRSS, ReplicaCPU, ReplicaGoroutines, ReplicaDisk} {
		checkPNG(t, filepath.Join(out, name+".png"))
	}
	if _, err := WriteReplicaSeries(nil, out); err == nil {
		t.Error("no series drawn")
	}
}
