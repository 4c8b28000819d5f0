package k8shome

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// InstallHome is the init step of replica's pod: it copies the replica's
// files from fromDir/NAME (its own ConfigMap and Secret, the only ones the
// pod mounts) into home/config/, the node key with mode 0600 (mounted
// Secrets are group-readable, which the replica refuses), then loads the
// home as the replica will and checks that it is that replica. It replaces
// files left by an earlier run of the same pod.
func InstallHome(fromDir string, replica int, home string) error {
	if replica < 0 || replica >= testnet.MaxReplicas {
		return fmt.Errorf("k8s: replica %d: want 0..%d", replica, testnet.MaxReplicas-1)
	}
	dst := config.PathsOf(home)
	if err := os.MkdirAll(filepath.Dir(dst.Config), 0o755); err != nil {
		return fmt.Errorf("k8s: %w", err)
	}
	for _, f := range []struct {
		name, to string
		perm     os.FileMode
	}{
		{config.ConfigFileName, dst.Config, 0o644},
		{config.GenesisFileName, dst.Genesis, 0o644},
		{config.NodeKeyFileName, dst.NodeKey, config.KeyFilePerm},
	} {
		data, err := ReadBounded(filepath.Join(fromDir, f.name))
		if err != nil {
			return err
		}
		if err := ReplaceFile(f.to, data, f.perm); err != nil {
			return err
		}
	}
	h, err := config.Load(home)
	if err != nil {
		return err
	}
	if h.Index != replica {
		return fmt.Errorf("k8s: %s holds the key of replica %d, not %d", fromDir, h.Index, replica)
	}
	return nil
}

// ReplaceFile writes data to name through a temporary file, so a crash
// never leaves a torn file and the mode holds before any byte is written.
func ReplaceFile(name string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("k8s: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(perm)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		return fmt.Errorf("k8s: write %s: %w", name, err)
	}
	return nil
}

// MaxFileBytes bounds each file read from a home or from a pod's mounted
// files; a ConfigMap or Secret cannot hold more than 1 MiB anyway.
const MaxFileBytes = 1 << 20

// ReadBounded reads name, refusing a file larger than MaxFileBytes (it
// reads at most one byte more to tell).
func ReadBounded(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("k8s: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("k8s: %s: %w", name, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("k8s: %s is larger than the %d bytes a ConfigMap or Secret holds", filepath.Base(name), MaxFileBytes)
	}
	return data, nil
}
