package k8shome

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// mountedFiles generates a testnet of 4 and lays out replica i's files flat
// and group-readable, as its pod mounts its ConfigMap and Secret.
func mountedFiles(t *testing.T, i int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "net")
	if err := testnet.Generate(testnet.Options{OutDir: dir, N: 4, Clients: 1}); err != nil {
		t.Fatal(err)
	}
	from := t.TempDir()
	src := config.PathsOf(filepath.Join(dir, "node"+string(rune('0'+i))))
	for name, p := range map[string]string{
		config.ConfigFileName:  src.Config,
		config.GenesisFileName: src.Genesis,
		config.NodeKeyFileName: src.NodeKey,
	} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(from, name), data, 0o440); err != nil {
			t.Fatal(err)
		}
	}
	return from
}

func TestInstallHome(t *testing.T) {
	from := mountedFiles(t, 2)
	home := t.TempDir()
	// Twice: a restarted init step replaces what it wrote.
	for range 2 {
		if err := InstallHome(from, 2, home); err != nil {
			t.Fatal(err)
		}
	}
	h, err := config.Load(home)
	if err != nil {
		t.Fatal(err)
	}
	if h.Index != 2 {
		t.Fatalf("installed home is replica %d, want 2", h.Index)
	}
	st, err := os.Stat(config.PathsOf(home).NodeKey)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != config.KeyFilePerm {
		t.Fatalf("node key mode %v, want %v", st.Mode().Perm(), config.KeyFilePerm)
	}
}

func TestInstallHomeRefuses(t *testing.T) {
	from := mountedFiles(t, 2)
	big := t.TempDir()
	for _, name := range []string{config.ConfigFileName, config.GenesisFileName, config.NodeKeyFileName} {
		data, err := os.ReadFile(filepath.Join(from, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == config.ConfigFileName {
			data = append(data, bytes.Repeat([]byte("\n"), MaxFileBytes)...)
		}
		if err := os.WriteFile(filepath.Join(big, name), data, 0o440); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		from    string
		replica int
		want    string
	}{
		{"another replica's files", from, 1, "holds the key of replica 2, not 1"},
		{"negative replica", from, -1, "replica -1: want 0.."},
		{"replica beyond the maximum", from, testnet.MaxReplicas, "want 0.."},
		{"missing files", t.TempDir(), 2, "no such file"},
		{"file above the bound", big, 2, "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := InstallHome(tc.from, tc.replica, t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("InstallHome: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
