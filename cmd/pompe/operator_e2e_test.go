//go:build unix

package main

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pompe-bft/pompe/internal/config"
)

// storeOwner: a replica's store belongs to it. The same home started twice
// is refused because another process holds it, and a home whose key was
// swapped for another replica's refuses the store its old replica wrote,
// naming what differs, with exit code 1 and one line on stderr.
func (e *e2e) storeOwner(t *testing.T) {
	tn := filepath.Join(e.dir, "owner")
	if code, stdout, stderr := e.exec(t, "testnet", "--nodes", "4", "--mode", "hotstuff", "--free-ports", "--out", tn); code != 0 {
		t.Fatalf("testnet: exit %d\n%s%s", code, stdout, stderr)
	}
	home0 := filepath.Join(tn, "node0")
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	first := e.command(ctx, "node", "--home", home0)
	logs, err := first.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(logs)
		once := false
		for sc.Scan() {
			if !once && strings.Contains(sc.Text(), "replica started") {
				once = true
				close(started)
			}
		}
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = first.Process.Signal(syscall.SIGTERM)
			if err := first.Wait(); err != nil {
				t.Errorf("replica 0 after SIGTERM: %v", err)
			}
		}
	}
	defer stop()
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("replica 0 did not start")
	}

	code, _, stderr := e.exec(t, "node", "--home", home0)
	if code != exitFailure || !strings.Contains(stderr, "another process holds the store") || !strings.Contains(stderr, "already running") {
		t.Fatalf("second start of %s: exit %d, stderr %q; want it refused as held by another process", home0, code, stderr)
	}
	stop()

	// Replica 1's key in replica 0's home, as an operator copying the wrong
	// file would do: the home is now replica 1 on replica 0's store.
	key1, err := os.ReadFile(filepath.Join(tn, "node1", config.ConfigDirName, config.NodeKeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home0, config.ConfigDirName, config.NodeKeyFileName), key1, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = e.exec(t, "node", "--home", home0)
	if code != exitFailure || !strings.Contains(stderr, "belongs to replica 0, not 1") || !strings.Contains(stderr, "node.data_dir") {
		t.Fatalf("replica 1 on replica 0's store: exit %d, stderr %q", code, stderr)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "pompe: ") {
		t.Errorf("stderr %q: want one line", stderr)
	}

	// Another cluster's store: replica 0 of a second testnet on this one's.
	other := filepath.Join(e.dir, "owner-other")
	if code, stdout, stderr := e.exec(t, "testnet", "--nodes", "4", "--mode", "hotstuff", "--free-ports", "--out", other); code != 0 {
		t.Fatalf("testnet: exit %d\n%s%s", code, stdout, stderr)
	}
	if err := os.RemoveAll(filepath.Join(other, "node0", "data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(home0, "data"), filepath.Join(other, "node0", "data")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = e.exec(t, "node", "--home", filepath.Join(other, "node0"))
	if code != exitFailure || !strings.Contains(stderr, "cluster ") || !strings.Contains(stderr, "belongs to cluster") {
		t.Fatalf("another cluster's store: exit %d, stderr %q", code, stderr)
	}
}
