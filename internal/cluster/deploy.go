package cluster

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/pompe-bft/pompe/internal/testnet"
)

// Remote layout under remote_dir.
const (
	remoteBinary  = "bin/pompe"
	remoteTestnet = "testnet" // testnet.toml and this host's client keys
	remoteLogs    = "logs"
	remoteRun     = "run" // pid files
	remoteBench   = "bench"
)

func nodeDir(i int) string { return testnet.NodeDirName(i) }
func pidFile(i int) string { return remoteRun + "/" + nodeDir(i) + ".pid" }
func logFile(i int) string { return remoteLogs + "/" + nodeDir(i) + ".log" }

// cdRemote changes into the machine's remote directory, creating it if
// asked.
func cdRemote(m *machine, create bool) string {
	q := shellQuote(m.RemoteDir)
	if create {
		return "mkdir -p " + q + " && cd " + q
	}
	return "cd " + q
}

// Deploy copies the binary, each replica host's homes and each client
// host's client keys. It refuses hosts where replicas still run.
func (c *Cluster) Deploy(ctx context.Context) error {
	ms := c.inv.machines()
	ci := c.inv.Cluster()
	return c.each(ctx, "deploy", ms, func(ctx context.Context, cn *conn, m *machine) (string, error) {
		states, err := c.replicaStates(ctx, cn, m)
		if err != nil {
			return "", &HostError{Host: m.Address, Step: "check running replicas", Err: err}
		}
		for _, s := range states {
			if s.State == StateRunning {
				return "", &HostError{Host: m.Address, Step: "deploy", Err: fmt.Errorf("replica %d runs (pid %d); run `pompe cluster stop` first", s.Replica, s.PID)}
			}
		}
		ups := []upload{{local: c.inv.Binary, remote: remoteBinary, mode: 0o755}}
		for _, i := range m.replicas {
			// The store is not copied: a deploy starts replicas afresh
			// or keeps what they already stored there.
			ups = append(ups, upload{local: ci.Homes[i], remote: nodeDir(i), skip: func(rel string) bool { return strings.HasPrefix(rel, "data/") }})
		}
		if m.clients > 0 {
			ups = append(ups, upload{local: filepath.Join(ci.Dir, testnet.SummaryFileName), remote: remoteTestnet + "/" + testnet.SummaryFileName})
			for k := m.clientOffset; k < m.clientOffset+m.clients; k++ {
				ups = append(ups, upload{local: ci.ClientKeyFiles[k], remote: remoteTestnet + "/" + testnet.ClientsDirName + "/" + testnet.ClientKeyFileName(k), mode: 0o600})
			}
		}
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeTar(pw, ups)) }()
		cmd := cdRemote(m, true) + " && mkdir -p " + remoteLogs + " " + remoteRun + " " + remoteBench + " && tar -xf - && " + remoteBinary + " version >/dev/null"
		_, err = cn.run(ctx, cmd, pr)
		pr.Close()
		if err != nil {
			return "", &HostError{Host: m.Address, Step: "copy binary and homes", Err: err}
		}
		return fmt.Sprintf("%d item(s) copied", len(ups)), nil
	})
}
