package local

import "time"

// ResourceSample is one sample of one replica. CPU and network figures
// survive restarts: a restarted replica's counters continue from the
// values its previous process reached.
type ResourceSample struct {
	// TS is the time since the measured window began, in seconds.
	TS float64 `json:"t_s"`
	// CPUCores is the CPU time used since the previous sample per second
	// of wall time (1 = one core busy).
	CPUCores float64 `json:"cpu_cores"`
	// RSSMiB is the resident memory; 0 while the replica is not running.
	RSSMiB float64 `json:"rss_mib"`
	// Goroutines is 0 when the replica's metrics endpoint did not answer
	// (a paused or stopped replica).
	Goroutines int `json:"goroutines"`
	// NetSentBytes is what the replica wrote to peers and clients since
	// the window began.
	NetSentBytes uint64 `json:"net_sent_bytes"`
	// DiskMiB is the size of the files in the replica's data directory.
	DiskMiB float64 `json:"disk_mib"`
}

// ReplicaResources is one replica's series of samples.
type ReplicaResources struct {
	Replica int              `json:"replica"`
	Samples []ResourceSample `json:"samples"`
}

// ResourceRound is one round of samples, one per replica (index =
// replica), taken Elapsed after the window began.
type ResourceRound struct {
	Elapsed time.Duration
	Samples []ResourceSample
}
