package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// ResourcesFileName is the file in which `pompe local` records the
// replicas' resource use.
const ResourcesFileName = runlog.ResourcesFileName

// maxResourcesBytes bounds resources.json: a long run's series are
// bounded by the sampler, a few MiB at most.
const maxResourcesBytes = 64 << 20

// ResourceSample and ReplicaSeries are the run-record types of
// resources.json.
type (
	ResourceSample = runlog.ResourceSample
	ReplicaSeries  = runlog.ReplicaSeries
)

// Resources is what a run's resources.json says of its replicas: CPU,
// memory and network figures over the measured window, and per-replica
// series.
type Resources = runlog.Resources

// loadResources reads the first resources.json among dirs; nil when none
// has one.
func loadResources(dirs ...string) (*Resources, error) {
	for _, dir := range dirs {
		path := filepath.Join(dir, ResourcesFileName)
		st, err := os.Stat(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		if !st.Mode().IsRegular() || st.Size() > maxResourcesBytes {
			return nil, fmt.Errorf("report: %s is not a file of at most %d bytes", path, maxResourcesBytes)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		var res Resources
		if err := json.Unmarshal(data, &res); err != nil {
			return nil, fmt.Errorf("report: %s: %w", path, err)
		}
		return &res, nil
	}
	return nil, nil
}

func (rep *Report) hasResources() bool {
	for _, r := range rep.Runs {
		if r.Resources != nil {
			return true
		}
	}
	return false
}

// WriteResources prints the replicas' resource use of the runs that
// recorded it.
func (rep *Report) WriteResources(w io.Writer) error {
	if !rep.hasResources() {
		return nil
	}
	fmt.Fprintln(w, "\nreplica resources over the measured window (memory: the largest replica)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tcores/replica\tCPU µs/cmd\tRSS start MiB\tRSS end MiB\tRSS max MiB\tsent B/cmd\tpeer B/cmd\t")
	for i, r := range rep.Runs {
		if res := r.Resources; res != nil {
			fmt.Fprintf(tw, "%d %s\t%.3f\t%.0f\t%.1f\t%.1f\t%.1f\t%.0f\t%.0f\t\n", i+1, r.Label, res.ReplicaCPUCores,
				res.ReplicaCPUUsPerCmd, res.ReplicaRSSStartMiB, res.ReplicaRSSEndMiB, res.ReplicaRSSMaxMiB,
				res.NetBytesPerCmd, res.NetPeerBytesPerCmd)
		}
	}
	return tw.Flush()
}

// WriteResourcesMarkdown prints one Markdown table row per run that
// recorded its replicas' resource use.
func (rep *Report) WriteResourcesMarkdown(w io.Writer) error {
	if !rep.hasResources() {
		return nil
	}
	fmt.Fprintln(w, "\n| run | cores/replica | CPU µs/cmd | max RSS MiB | net B/cmd | peer B/cmd |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, r := range rep.Runs {
		res := r.Resources
		if res == nil {
			continue
		}
		if _, err := fmt.Fprintf(w, "| %s | %.3f | %.0f | %.1f | %.0f | %.0f |\n", r.Label, res.ReplicaCPUCores,
			res.ReplicaCPUUsPerCmd, res.ReplicaRSSMaxMiB, res.NetBytesPerCmd, res.NetPeerBytesPerCmd); err != nil {
			return err
		}
	}
	return nil
}
