//go:build linux

package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/testnet"
)

// TestClusterOverRealSSH emulates three machines (network namespaces
// joined by a bridge, or distinct loopback addresses), each with its own
// OpenSSH server, and drives the whole workflow against them: deploy,
// start, status, bench, collect, report, stop and clean. Two hosts run two
// replicas each, the third runs two load clients.
func TestClusterOverRealSSH(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sshd servers and a four-replica cluster")
	}
	sshd := findSSHD()
	if sshd == "" {
		t.Skip("no sshd binary: install openssh-server (apt-get install -y openssh-server) to run this test")
	}
	if os.Geteuid() != 0 {
		t.Skip("sshd must run as root to accept logins here (CI runs as root)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "pompe")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/pompe").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tn := newTestNet(t, 3)
	t.Logf("hosts on %s", tn.kind)
	keys := tn.startSSHDs(t, sshd, dir)

	// The testnet, as an operator generates it from a hosts file.
	hostsFile := filepath.Join(dir, "hosts.txt")
	os.WriteFile(hostsFile, []byte(fmt.Sprintf("# replica hosts\n%s us-east\n%s eu-west\n", tn.hosts[0].addr, tn.hosts[1].addr)), 0o644)
	hosts, err := testnet.ReadHostsFile(hostsFile)
	if err != nil {
		t.Fatal(err)
	}
	tnDir := filepath.Join(dir, "cluster")
	if err := testnet.Generate(testnet.Options{OutDir: tnDir, Hosts: hosts, N: 4, Clients: 2}); err != nil {
		t.Fatal(err)
	}
	inventory := fmt.Sprintf(`testnet = "cluster"
results = "results"
binary = %q
known_hosts = %q
stop_grace = "5s"

[ssh]
user = "root"
key = %q

[[replica_hosts]]
address = %q
remote_dir = %q

[[replica_hosts]]
address = %q
remote_dir = %q

[[client_hosts]]
address = %q
remote_dir = %q
clients = 2

[bench]
duration = "3s"
inflight = 2
`, bin, keys.knownHosts, keys.clientKeyFile,
		tn.hosts[0].sshAddress(), filepath.Join(dir, "remote0"),
		tn.hosts[1].sshAddress(), filepath.Join(dir, "remote1"),
		tn.hosts[2].sshAddress(), filepath.Join(dir, "remote2"))
	invPath := filepath.Join(dir, "inventory.toml")
	os.WriteFile(invPath, []byte(inventory), 0o644)
	inv, err := Load(invPath)
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	c, err := New(inv, Options{Progress: &syncWriter{w: &progress}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		// Whatever failed above, no replica outlives the test.
		c.Stop(context.Background())
		t.Logf("progress:\n%s", progress.String())
	})

	step := func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	step("deploy", c.Deploy(ctx))
	step("start", c.Start(ctx))
	st, err := c.Status(ctx)
	step("status", err)
	if len(st) != 4 || summarize(st) != "4 running" {
		t.Fatalf("status after start: %+v", st)
	}
	if st[0].Host != tn.hosts[0].sshAddress() || st[1].Host != tn.hosts[1].sshAddress() {
		t.Fatalf("replicas 0 and 1 on %s and %s", st[0].Host, st[1].Host)
	}
	// A second deploy must refuse to overwrite running replicas, naming the host.
	if err := c.Deploy(ctx); err == nil || !strings.Contains(err.Error(), tn.hosts[0].sshAddress()) || !strings.Contains(err.Error(), "stop") {
		t.Fatalf("deploy over running replicas: %v", err)
	}
	run := NewRunID(time.Now())
	step("bench", c.Bench(ctx, run))
	step("collect", c.Collect(ctx, run))
	s, err := c.Report(run)
	step("report", err)
	if s.Report.Combined.Executed == 0 || s.Check.ClientRecords == 0 || s.Check.Replicas != 4 {
		t.Fatalf("report: %d executed, %d client records, %d replica logs", s.Report.Combined.Executed, s.Check.ClientRecords, s.Check.Replicas)
	}
	if !s.Check.OK() {
		t.Fatalf("violations: %+v", s.Check)
	}
	for _, name := range []string{"report.txt", "report.json", "check/replica3.exec.tsv", "check/client1.records.jsonl",
		"hosts/" + (&machine{Host: Host{Address: tn.hosts[0].sshAddress()}}).label() + "/logs/node0.log"} {
		if _, err := os.Stat(filepath.Join(c.RunDir(run), name)); err != nil {
			t.Error(err)
		}
	}
	if latest, err := c.LatestRun(); err != nil || latest != run {
		t.Fatalf("latest run %q, %v; want %q", latest, err, run)
	}
	step("stop", c.Stop(ctx))
	st, err = c.Status(ctx)
	step("status", err)
	if summarize(st) != "4 stopped" {
		t.Fatalf("status after stop: %+v", st)
	}
	step("clean", c.Clean(ctx))
	for i := range 3 {
		if _, err := os.Stat(filepath.Join(dir, fmt.Sprint("remote", i))); !os.IsNotExist(err) {
			t.Fatalf("remote dir %d left after clean: %v", i, err)
		}
	}
	if !strings.Contains(progress.String(), "bench [1/1]") {
		t.Fatalf("no per-host progress:\n%s", progress.String())
	}
}
