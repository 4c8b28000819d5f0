package runlog

// ResourcesFileName is the file of a run directory in which `pompe local`
// records its replicas' resource use (CPU, memory, goroutines, network,
// disk) over the measured window.
const ResourcesFileName = "resources.json"

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
	// DiskMiB is the disk space of the replica's data directory;
	// ExecLogMiB the part of it its execution log takes, a record of every
	// executed command that grows with the run by design.
	DiskMiB    float64 `json:"disk_mib"`
	ExecLogMiB float64 `json:"exec_log_mib"`
}

// ReplicaSeries is one replica's series of samples.
type ReplicaSeries struct {
	Replica int              `json:"replica"`
	Samples []ResourceSample `json:"samples"`
}
