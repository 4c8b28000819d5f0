package k8s

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// OrdinalOf returns the ordinal of a StatefulSet pod from its name
// ("pompe-3" is 3).
func OrdinalOf(podName string) (int, error) {
	i := strings.LastIndexByte(podName, '-')
	if i < 0 || i == len(podName)-1 {
		return 0, fmt.Errorf("k8s: pod name %q does not end in -ORDINAL", podName)
	}
	suffix := podName[i+1:]
	n, err := strconv.Atoi(suffix)
	if err != nil || n < 0 || n >= testnet.MaxReplicas || strconv.Itoa(n) != suffix {
		return 0, fmt.Errorf("k8s: pod name %q does not end in an ordinal 0..%d", podName, testnet.MaxReplicas-1)
	}
	return n, nil
}

// InstallHome is the init step of a pod: it copies the files of the
// replica whose ordinal ends podName from fromDir/nodeI/ into
// home/config/, the node key with mode 0600 (mounted Secrets are
// group-readable, which the replica refuses), then loads the home as the
// replica will and checks that it is replica I. It replaces files left by
// an earlier run of the same pod. It returns the replica index.
func InstallHome(fromDir, podName, home string) (int, error) {
	i, err := OrdinalOf(podName)
	if err != nil {
		return 0, err
	}
	src := replicaDir(fromDir, i)
	dst := config.PathsOf(home)
	if err := os.MkdirAll(filepath.Dir(dst.Config), 0o755); err != nil {
		return 0, fmt.Errorf("k8s: %w", err)
	}
	for _, f := range []struct {
		name, to string
		perm     os.FileMode
	}{
		{config.ConfigFileName, dst.Config, 0o644},
		{config.GenesisFileName, dst.Genesis, 0o644},
		{config.NodeKeyFileName, dst.NodeKey, config.KeyFilePerm},
	} {
		data, err := readBounded(filepath.Join(src, f.name))
		if err != nil {
			return 0, fmt.Errorf("%w (is %s replica %d of a testnet of fewer replicas?)", err, podName, i)
		}
		if err := replaceFile(f.to, data, f.perm); err != nil {
			return 0, err
		}
	}
	h, err := config.Load(home)
	if err != nil {
		return 0, err
	}
	if h.Index != i {
		return 0, fmt.Errorf("k8s: %s holds the key of replica %d, not %d", src, h.Index, i)
	}
	return i, nil
}

// replaceFile writes data to name through a temporary file, so a crash
// never leaves a torn file and the mode holds before any byte is written.
func replaceFile(name string, data []byte, perm os.FileMode) error {
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
