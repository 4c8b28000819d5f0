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

// Resources is the replicas' resource use over a run's measured window, as
// the `pompe local` summary reports it and resources.json holds it.
// Per-command figures are 0 when nothing was executed; memory figures are
// those of the largest replica.
type Resources struct {
	// ReplicaCPUCores is the mean CPU use per replica, in cores.
	ReplicaCPUCores float64 `json:"replica_cpu_cores"`
	// ReplicaCPUUsPerCmd is the CPU time of all replicas per executed
	// command, in microseconds.
	ReplicaCPUUsPerCmd float64 `json:"replica_cpu_us_per_cmd"`
	// LoadCPUCores is the CPU use of the process that drove the load (the
	// `pompe local` process: its clients, the resource sampler and the
	// progress lines), in cores; LoadCPUUsPerCmd the same per executed
	// command; AllCPUUsPerCmd replicas and load together per executed
	// command: what every process of the run spent, as a side-by-side
	// comparison with another system on the same machine counts it.
	LoadCPUCores       float64 `json:"load_cpu_cores"`
	LoadCPUUsPerCmd    float64 `json:"load_cpu_us_per_cmd"`
	AllCPUUsPerCmd     float64 `json:"all_cpu_us_per_cmd"`
	ReplicaRSSMaxMiB   float64 `json:"replica_rss_max_mib"`
	ReplicaRSSStartMiB float64 `json:"replica_rss_start_mib"`
	ReplicaRSSEndMiB   float64 `json:"replica_rss_end_mib"`
	// NetBytesPerCmd counts what all replicas sent, to peers and clients,
	// TLS included; NetPeerBytesPerCmd only replica-to-replica traffic.
	NetBytesPerCmd     float64 `json:"net_bytes_per_cmd"`
	NetPeerBytesPerCmd float64 `json:"net_peer_bytes_per_cmd"`
	// PerView is what one consensus view cost one replica on average;
	// absent when the replicas' metrics were not read or no view passed.
	PerView *PerView `json:"per_view,omitempty"`
	// ResourcesNote says why figures are missing, if some are.
	ResourcesNote string          `json:"resources_note,omitempty"`
	Resources     []ReplicaSeries `json:"resources"`
}

// PerView is the mean cost of one consensus view to one replica over the
// measured window: each replica's counters divided by the views it
// entered, averaged over the replicas.
type PerView struct {
	// ViewsPerS is the views per second a replica entered.
	ViewsPerS float64 `json:"views_per_s"`
	// CmdsPerView is the executed commands per view.
	CmdsPerView float64 `json:"cmds_per_view"`
	// CPUUs is the replica's process CPU time per view, in microseconds.
	CPUUs float64 `json:"cpu_us"`
	// Syncs counts storage syncs (fsyncs of the replica's store).
	Syncs float64 `json:"syncs"`
	// Signed and Verified count signatures made and checked (a batch item
	// counts once; a certificate found in a cache of verified ones counts
	// nothing).
	Signed   float64 `json:"signed"`
	Verified float64 `json:"verified"`
	// PeerMessages and PeerBytes are the frames and socket bytes (TLS
	// included) the replica sent to other replicas.
	PeerMessages float64 `json:"peer_messages"`
	PeerBytes    float64 `json:"peer_bytes"`
}
