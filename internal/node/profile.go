package node

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// ProfileDirEnv names an environment variable: when set, a node writes a
// CPU profile of its whole run and a heap profile at exit into that
// directory (replicaN.cpu.pprof, replicaN.heap.pprof). `pompe local
// --profile DIR` sets it for every replica it starts.
const ProfileDirEnv = "POMPE_PROFILE_DIR"

// startProfile begins profiling if asked to; the returned function stops
// it and writes the heap profile.
func (n *Node) startProfile() (func(), error) {
	dir := os.Getenv(ProfileDirEnv)
	if dir == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("node: profile directory: %w", err)
	}
	base := filepath.Join(dir, fmt.Sprintf("replica%d", n.home.Index))
	f, err := os.Create(base + ".cpu.pprof")
	if err != nil {
		return nil, fmt.Errorf("node: cpu profile: %w", err)
	}
	runtime.SetMutexProfileFraction(100)
	runtime.SetBlockProfileRate(100_000)
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("node: cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		for _, p := range []string{"heap", "allocs", "mutex", "block"} {
			if hf, err := os.Create(base + "." + p + ".pprof"); err == nil {
				_ = pprof.Lookup(p).WriteTo(hf, 0)
				hf.Close()
			}
		}
	}, nil
}
