package local

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/pompe-bft/pompe/internal/runlog"
)

// ResourceSample and ReplicaResources are the run-record types of
// resources.json.
type (
	ResourceSample   = runlog.ResourceSample
	ReplicaResources = runlog.ReplicaSeries
)

// ResourceRound is one round of samples, one per replica (index =
// replica), taken Elapsed after the window began.
type ResourceRound struct {
	Elapsed time.Duration
	Samples []ResourceSample
}

// ResourceReport is the replicas' resource use over the measured window.
type ResourceReport = runlog.Resources

// ResourcesFileName is the file of a run directory that holds the
// replicas' resource use.
const ResourcesFileName = runlog.ResourcesFileName

// resourceReport sums up the sampler's window for executed commands.
func (s *sampler) resourceReport(executed uint64) ResourceReport {
	var rr ResourceReport
	if !procStatsSupported {
		rr.ResourcesNote = "CPU and memory are read from /proc, on Linux only: reported as 0"
	}
	window := s.last.Seconds()
	var cpuS float64
	var sent, peerSent uint64
	for i, t := range s.tracks {
		cpuS += t.cpuS
		sent += t.peerSent + t.cliSent
		peerSent += t.peerSent
		rr.ReplicaRSSMaxMiB = max(rr.ReplicaRSSMaxMiB, mib(t.rssMax))
		rr.ReplicaRSSStartMiB = max(rr.ReplicaRSSStartMiB, mib(t.rssStart))
		rr.ReplicaRSSEndMiB = max(rr.ReplicaRSSEndMiB, mib(t.rssEnd))
		samples := t.samples
		if samples == nil {
			samples = []ResourceSample{}
		}
		rr.Resources = append(rr.Resources, ReplicaResources{Replica: i, Samples: samples})
	}
	if window > 0 && len(s.tracks) > 0 {
		rr.ReplicaCPUCores = cpuS / window / float64(len(s.tracks))
	}
	loadS := 0.0
	if s.selfOK && s.selfEnd > s.selfStart {
		loadS = s.selfEnd - s.selfStart
	}
	if window > 0 {
		rr.LoadCPUCores = loadS / window
	}
	if executed > 0 {
		n := float64(executed)
		rr.ReplicaCPUUsPerCmd = cpuS * 1e6 / n
		rr.LoadCPUUsPerCmd = loadS * 1e6 / n
		rr.AllCPUUsPerCmd = (cpuS + loadS) * 1e6 / n
		rr.NetBytesPerCmd = float64(sent) / n
		rr.NetPeerBytesPerCmd = float64(peerSent) / n
	}
	rr.PerView = s.perView(executed)
	for _, v := range []*float64{&rr.ReplicaCPUCores, &rr.ReplicaCPUUsPerCmd, &rr.LoadCPUCores, &rr.LoadCPUUsPerCmd, &rr.AllCPUUsPerCmd, &rr.ReplicaRSSMaxMiB, &rr.ReplicaRSSStartMiB,
		&rr.ReplicaRSSEndMiB, &rr.NetBytesPerCmd, &rr.NetPeerBytesPerCmd} {
		*v = round3(*v)
	}
	return rr
}

// perView averages each replica's cost per view it entered; nil when no
// replica's views were read.
func (s *sampler) perView(executed uint64) *runlog.PerView {
	var pv runlog.PerView
	var views uint64
	replicas := 0
	for _, t := range s.tracks {
		v := t.work[workViews]
		if v == 0 {
			continue
		}
		replicas++
		views += v
		per := func(c uint64) float64 { return float64(c) / float64(v) }
		pv.CPUUs += t.cpuS * 1e6 / float64(v)
		pv.Syncs += per(t.work[workSyncs])
		pv.Signed += per(t.work[workSigned])
		pv.Verified += per(t.work[workVerified])
		pv.PeerMessages += per(t.work[workPeerFrames])
		pv.PeerBytes += per(t.peerSent)
	}
	if replicas == 0 {
		return nil
	}
	meanViews := float64(views) / float64(replicas)
	if w := s.last.Seconds(); w > 0 {
		pv.ViewsPerS = meanViews / w
	}
	pv.CmdsPerView = float64(executed) / meanViews
	for _, v := range []*float64{&pv.CPUUs, &pv.Syncs, &pv.Signed, &pv.Verified, &pv.PeerMessages, &pv.PeerBytes} {
		*v /= float64(replicas)
	}
	for _, v := range []*float64{&pv.ViewsPerS, &pv.CmdsPerView, &pv.CPUUs, &pv.Syncs, &pv.Signed, &pv.Verified, &pv.PeerMessages, &pv.PeerBytes} {
		*v = round3(*v)
	}
	return &pv
}

// writeResourceTable prints the resource figures in one or two lines.
func writeResourceTable(w io.Writer, rr *ResourceReport) {
	if len(rr.Resources) == 0 {
		return
	}
	fmt.Fprintf(w, "replicas: %.3f CPU cores each, RSS %.1f -> %.1f MiB (max %.1f)\n",
		rr.ReplicaCPUCores, rr.ReplicaRSSStartMiB, rr.ReplicaRSSEndMiB, rr.ReplicaRSSMaxMiB)
	if rr.NetBytesPerCmd > 0 || rr.ReplicaCPUUsPerCmd > 0 {
		fmt.Fprintf(w, "per command: %.0f µs replica CPU + %.0f µs load generator = %.0f µs all processes, %.0f B sent by replicas (%.0f between replicas)\n",
			rr.ReplicaCPUUsPerCmd, rr.LoadCPUUsPerCmd, rr.AllCPUUsPerCmd, rr.NetBytesPerCmd, rr.NetPeerBytesPerCmd)
	}
	if pv := rr.PerView; pv != nil {
		fmt.Fprintf(w, "per view and replica: %.0f µs CPU, %.2f syncs, %.2f signed, %.2f verified, %.2f messages, %.0f B sent to peers (%.1f views/s, %.2f commands per view)\n",
			pv.CPUUs, pv.Syncs, pv.Signed, pv.Verified, pv.PeerMessages, pv.PeerBytes, pv.ViewsPerS, pv.CmdsPerView)
	}
	if rr.ResourcesNote != "" {
		fmt.Fprintf(w, "  (%s)\n", rr.ResourcesNote)
	}
}

// writeResourcesFile writes rr as dir/resources.json.
func writeResourcesFile(dir string, rr ResourceReport) error {
	data, err := json.MarshalIndent(rr, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, ResourcesFileName), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	return nil
}
