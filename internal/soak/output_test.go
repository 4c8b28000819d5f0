package soak

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/chartcmd"
	"github.com/pompe-bft/pompe/internal/local"
)

func TestCSVRoundTrips(t *testing.T) {
	want := []local.ReplicaResources{
		{Replica: 0, Samples: []local.ResourceSample{
			{TS: 0, RSSMiB: 20.5, Goroutines: 40, DiskMiB: 1.25, ExecLogMiB: 0.5},
			{TS: 2, CPUCores: 0.75, RSSMiB: 22, Goroutines: 41, DiskMiB: 1.5, ExecLogMiB: 0.625, NetSentBytes: 1 << 40},
		}},
		{Replica: 3, Samples: []local.ResourceSample{{TS: 2, CPUCores: 1.5, RSSMiB: 30, Goroutines: 7, NetSentBytes: 9}}},
	}
	path := filepath.Join(t.TempDir(), CSVFileName)
	if err := writeCSV(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back %+v\nwrote %+v", got, want)
	}
}

func TestReadCSVRefusesOtherFiles(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"empty", "", "not a soak.csv"},
		{"other header", "a,b\n1,2\n", "not a soak.csv"},
		{"bad number", strings.Join(csvHeader, ",") + "\n1,0,x,4,1,1,0,5\n", "line 2: rss_mib"},
		{"short row", strings.Join(csvHeader, ",") + "\n1,0\n", "wrong number of fields"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), CSVFileName)
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadCSV(path); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// Without pompe-charts the soak still succeeds, and its table says in one
// line that the charts were not drawn and how to draw them.
func TestChartsLine(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "pompe")
	t.Setenv("PATH", t.TempDir())
	tests := []struct {
		name     string
		script   string // pompe-charts next to exe; "" for none
		replicas int
		want     []string
	}{
		{"drawn", "#!/bin/sh\nexit 0\n", 4, []string{"charts: soakdir/plots"}},
		{"missing", "", 4, []string{"charts: pompe-charts not found next to " + filepath.Dir(exe), "charts were not drawn",
			"go build -o " + filepath.Join(filepath.Dir(exe), "pompe-charts") + " ./cmd/pompe-charts", "go run ./cmd/pompe-charts soak soakdir"}},
		{"failing", "#!/bin/sh\necho broken >&2\nexit 1\n", 4, []string{"charts: not drawn (", "exit status 1", "go run ./cmd/pompe-charts soak soakdir"}},
		{"no samples", "", 0, []string{"charts: none"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			charts := filepath.Join(filepath.Dir(exe), chartcmd.Name)
			os.Remove(charts)
			if tc.script != "" {
				if err := os.WriteFile(charts, []byte(tc.script), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			line := drawCharts(context.Background(), "soakdir", tc.replicas, chartcmd.Runner{Beside: exe})
			if strings.Contains(line, "\n") {
				t.Errorf("%q is more than one line", line)
			}
			for _, want := range tc.want {
				if !strings.Contains(line, want) {
					t.Errorf("%q lacks %q", line, want)
				}
			}
			var table strings.Builder
			(&Result{chartsLine: line}).WriteTable(&table)
			if !strings.Contains(table.String(), line+"\n") {
				t.Errorf("table lacks the charts line:\n%s", table.String())
			}
		})
	}
}
