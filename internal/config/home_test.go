package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/crypto"
)

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	k, _ := crypto.GenerateKey(nil)
	path := filepath.Join(dir, "key.toml")
	if err := WriteKeyFile(path, k, "test key"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != KeyFilePerm {
		t.Fatalf("key file mode %04o", st.Mode().Perm())
	}
	back, err := ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(back.Seed()) != string(k.Seed()) {
		t.Fatal("key changed on the way through the file")
	}
	if err := WriteKeyFile(path, k, "again"); err == nil {
		t.Fatal("overwrote an existing key")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestKeyFileErrors(t *testing.T) {
	k, _ := crypto.GenerateKey(nil)
	other, _ := crypto.GenerateKey(nil)
	seed := crypto.EncodeKey(k.Seed())
	tests := []struct {
		name string
		text string
		perm os.FileMode
		want string
	}{
		{"world readable", "private_key = \"" + seed + "\"\n", 0o644, "chmod 600"},
		{"missing key", "public_key = \"x\"\n", 0o600, "private_key is missing"},
		{"not base64", "private_key = \"***\"\n", 0o600, "private_key"},
		{"short seed", "private_key = \"AAAA\"\n", 0o600, "seed is 3 bytes"},
		{"mismatched public key", "private_key = \"" + seed + "\"\npublic_key = \"" + crypto.EncodeKey(other.Public()) + "\"\n", 0o600, "does not belong"},
		{"unknown key", "private_key = \"" + seed + "\"\nsecret = 1\n", 0o600, "unknown key secret"},
		{"garbage", "\xff\xfe", 0o600, "key.toml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key.toml")
			if err := os.WriteFile(path, []byte(tc.text), tc.perm); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.perm); err != nil {
				t.Fatal(err)
			}
			_, err := ReadKeyFile(path)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q should name the file and mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), seed) {
				t.Fatal("error leaks the private key")
			}
		})
	}
}

func writeTestHome(t *testing.T, n, self int, edit func(*Config)) (string, Genesis) {
	t.Helper()
	g, keys := testGenesis(t, n)
	c := Default()
	if edit != nil {
		edit(&c)
	}
	home := filepath.Join(t.TempDir(), "node")
	if err := WriteHome(home, c, g, keys[self]); err != nil {
		t.Fatal(err)
	}
	return home, g
}

func TestLoadHome(t *testing.T) {
	home, g := writeTestHome(t, 4, 2, nil)
	h, err := Load(home)
	if err != nil {
		t.Fatal(err)
	}
	if h.Index != 2 {
		t.Fatalf("index %d", h.Index)
	}
	if h.Config.P2P.ListenPeer != g.Replicas[2].PeerAddress || h.Config.P2P.ListenClient != g.Replicas[2].ClientAddress {
		t.Fatalf("listen addresses not taken from genesis: %+v", h.Config.P2P)
	}
	if h.DataDir() != filepath.Join(home, "data") {
		t.Fatalf("data dir %s", h.DataDir())
	}
	if st, err := os.Stat(h.DataDir()); err != nil || !st.IsDir() {
		t.Fatalf("data dir not created: %v", err)
	}
	c, err := h.Committee()
	if err != nil {
		t.Fatal(err)
	}
	if string(c.PublicKey(2)) != string(h.Key.Public()) {
		t.Fatal("committee key of self differs from node key")
	}
}

func TestLoadHomeErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, home string)
		wants []string
	}{
		{"id mismatch", func(t *testing.T, home string) {
			replaceInFile(t, PathsOf(home).Config, "id = -1", "id = 3")
		}, []string{ConfigFileName, "node.id = 3", "replica 1"}},
		{"fixed leader out of range", func(t *testing.T, home string) {
			replaceInFile(t, PathsOf(home).Config, "fixed_leader = -1", "fixed_leader = 4")
		}, []string{ConfigFileName, "consensus.fixed_leader = 4", "0..3"}},
		{"link to unknown peer", func(t *testing.T, home string) {
			appendFile(t, PathsOf(home).Config, "\n[emulation.links.9]\nloss = 0.5\n")
		}, []string{ConfigFileName, "[emulation.links.9]"}},
		{"corrupt config", func(t *testing.T, home string) {
			writeFile(t, PathsOf(home).Config, "[node\x00")
		}, []string{ConfigFileName}},
		{"missing config", func(t *testing.T, home string) {
			os.Remove(PathsOf(home).Config)
		}, []string{ConfigFileName, "no such file"}},
		{"corrupt genesis", func(t *testing.T, home string) {
			replaceInFile(t, PathsOf(home).Genesis, "pompe", "paxos")
		}, []string{GenesisFileName, `mode = "paxos"`}},
		{"config is a directory", func(t *testing.T, home string) {
			os.Remove(PathsOf(home).Config)
			os.Mkdir(PathsOf(home).Config, 0o755)
		}, []string{ConfigFileName, "not a regular file"}},
		{"key of a stranger", func(t *testing.T, home string) {
			os.Remove(PathsOf(home).NodeKey)
			k, _ := crypto.GenerateKey(nil)
			if err := WriteKeyFile(PathsOf(home).NodeKey, k, "stranger"); err != nil {
				t.Fatal(err)
			}
		}, []string{NodeKeyFileName, "not a replica"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			home, _ := writeTestHome(t, 4, 1, nil)
			tc.setup(t, home)
			_, err := Load(home)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestWriteHomeRefusesExistingKey(t *testing.T) {
	g, keys := testGenesis(t, 4)
	home := t.TempDir()
	if err := WriteHome(home, Default(), g, keys[0]); err != nil {
		t.Fatal(err)
	}
	if err := WriteHome(home, Default(), g, keys[0]); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second WriteHome: %v", err)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, string(old)+text)
}

func replaceInFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	writeFile(t, path, strings.Replace(string(data), old, new, 1))
}

// TestCheckHomeExplains: paths that are no home are told apart from a home
// with a broken file, each with what a home is.
func TestCheckHomeExplains(t *testing.T) {
	dir := t.TempDir()
	home, _ := writeTestHome(t, 4, 0, nil)
	testnetDir := filepath.Join(dir, "tn")
	if err := os.MkdirAll(testnetDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(home, filepath.Join(testnetDir, "node0")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	for _, tc := range []struct {
		name, home string
		want       []string
	}{
		{"missing", filepath.Join(dir, "nope"), []string{"does not exist", "pompe testnet --out DIR"}},
		{"file", file, []string{"is a file", "config/genesis.toml"}},
		{"testnet directory", testnetDir, []string{"is a testnet's directory", "--home " + filepath.Join(testnetDir, "node0")}},
		{"no config dir", empty, []string{"has no config directory", "pompe testnet --out DIR"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.home)
			if !errors.Is(err, ErrNotAHome) {
				t.Fatalf("Load: %v, want ErrNotAHome", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := Load(filepath.Join(testnetDir, "node0")); err != nil {
		t.Fatalf("the real home: %v", err)
	}
}
