package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/node"
)

// addLocalProfileFlag adds --profile to `pompe local`: every replica writes
// CPU, heap, allocation, mutex and block profiles into DIR (through the
// environment its process inherits), and this process, which runs the
// clients, writes clients.cpu.pprof there.
func addLocalProfileFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "profile", "", "write pprof profiles of every replica (replicaN.*.pprof) and of the clients (clients.cpu.pprof) into this directory")
	cmd.Example += `
  pompe local --clients 16 --inflight 4 --profile ./prof && go tool pprof -top ./prof/replica0.cpu.pprof`
}

// startLocalProfile arranges the profiles; the returned function stops the
// clients' CPU profile.
func startLocalProfile(dir string) (func(), error) {
	if dir == "" {
		return func() {}, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("--profile: %w", err)
	}
	if err := os.Setenv(node.ProfileDirEnv, abs); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(abs, "clients.cpu.pprof"))
	if err != nil {
		return nil, fmt.Errorf("--profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
