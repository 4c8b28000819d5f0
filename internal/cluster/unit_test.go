package cluster

import (
	"archive/tar"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/testnet"
)

// writeTestnet lays out a 4-replica testnet on two made-up hosts.
func writeTestnet(t *testing.T, dir string) {
	t.Helper()
	hosts := []testnet.Host{{Address: "10.0.0.1"}, {Address: "10.0.0.2"}}
	if err := testnet.Generate(testnet.Options{OutDir: filepath.Join(dir, "tn"), Hosts: hosts, N: 4, Clients: 3}); err != nil {
		t.Fatal(err)
	}
}

const baseInventory = `testnet = "tn"
remote_dir = "/opt/pompe"
binary = "/bin/true"
insecure_ignore_host_key = true
[ssh]
user = "ops"
key = "id"
`

func TestParseInventory(t *testing.T) {
	dir := t.TempDir()
	writeTestnet(t, dir)
	text := baseInventory + `
[[replica_hosts]]
address = "10.0.0.1"
[[replica_hosts]]
address = "10.0.0.2:2222"
ssh = { user = "other" }
[[client_hosts]]
address = "10.0.0.1"
clients = 1
[[client_hosts]]
address = "10.0.0.9"
clients = 2
remote_dir = "run/pompe"
`
	inv, err := Parse([]byte(text), dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := joinInts(inv.ReplicaHosts[0].Replicas) + " " + joinInts(inv.ReplicaHosts[1].Replicas); got != "0,2 1,3" {
		t.Fatalf("replicas by genesis address: %s", got)
	}
	if inv.ReplicaHosts[1].SSH.User != "other" || inv.ReplicaHosts[0].SSH.User != "ops" || inv.ReplicaHosts[0].SSH.Key != filepath.Join(dir, "id") {
		t.Fatalf("ssh settings: %+v %+v", inv.ReplicaHosts[0].SSH, inv.ReplicaHosts[1].SSH)
	}
	ms := inv.machines()
	if len(ms) != 3 || ms[0].clients != 1 || len(ms[0].replicas) != 2 || ms[2].clientOffset != 1 || ms[2].RemoteDir != "run/pompe" {
		t.Fatalf("machines: %+v %+v %+v", ms[0], ms[1], ms[2])
	}
	if ms[1].label() != "10.0.0.2_2222" {
		t.Fatalf("label %q", ms[1].label())
	}
}

func TestParseInventoryRejects(t *testing.T) {
	dir := t.TempDir()
	writeTestnet(t, dir)
	both := "[[replica_hosts]]\naddress = \"10.0.0.1\"\n[[replica_hosts]]\naddress = \"10.0.0.2\"\n"
	tests := []struct{ name, text, want string }{
		{"no replica hosts", baseInventory, "at least one"},
		{"unknown key", baseInventory + "colour = 1\n" + both, "unknown key ssh.colour"},
		{"root remote dir", strings.Replace(baseInventory, "/opt/pompe", "/", 1) + both, "too broad"},
		{"top-level remote dir", strings.Replace(baseInventory, "/opt/pompe", "/opt", 1) + both, "too broad"},
		{"tilde", strings.Replace(baseInventory, "/opt/pompe", "~/pompe", 1) + both, "relative"},
		{"replica without host", baseInventory + "[[replica_hosts]]\naddress = \"10.0.0.1\"\n", "replica 1"},
		{"replica twice", baseInventory + both + "[[replica_hosts]]\naddress = \"10.0.0.3\"\nreplicas = [0]\n", "replica 0 is listed on both"},
		{"unknown address", baseInventory + both + "[[replica_hosts]]\naddress = \"10.0.0.3\"\n", "no replica of the testnet"},
		{"bad index", baseInventory + both + "[[replica_hosts]]\naddress = \"10.0.0.3\"\nreplicas = [7]\n", "replica 7"},
		{"too many clients", baseInventory + both + "[[client_hosts]]\naddress = \"c\"\nclients = 4\n", "3 client keys"},
		{"zero clients", baseInventory + both + "[[client_hosts]]\naddress = \"c\"\n", "clients = 0"},
		{"duplicate host", baseInventory + both + "[[replica_hosts]]\naddress = \"10.0.0.1\"\nreplicas = [0]\n", "already listed"},
		{"bad bench", baseInventory + both + "[bench]\nbatch = -1\n", "bench"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.text), dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestTarRoundTrip(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "home", "config"), 0o755)
	os.MkdirAll(filepath.Join(src, "home", "data"), 0o700)
	os.WriteFile(filepath.Join(src, "home", "config", "a.toml"), []byte("a = 1\n"), 0o644)
	os.WriteFile(filepath.Join(src, "home", "data", "big.db"), []byte("store"), 0o600)
	os.WriteFile(filepath.Join(src, "bin"), []byte("#!/bin/sh\n"), 0o644)
	var buf bytes.Buffer
	err := writeTar(&buf, []upload{
		{local: filepath.Join(src, "bin"), remote: "bin/pompe", mode: 0o755},
		{local: filepath.Join(src, "home"), remote: "node0", skip: func(rel string) bool { return strings.HasPrefix(rel, "data/") }},
	})
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if _, err := extractTar(bytes.NewReader(buf.Bytes()), dst); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dst, "node0", "config", "a.toml")); err != nil || string(data) != "a = 1\n" {
		t.Fatalf("config: %q %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(dst, "node0", "data", "big.db")); !os.IsNotExist(err) {
		t.Fatalf("the store was copied: %v", err)
	}
	// The system tar must read what writeTar writes, with the binary executable.
	if _, err := exec.LookPath("tar"); err == nil {
		out := t.TempDir()
		cmd := exec.Command("tar", "-xf", "-", "-C", out)
		cmd.Stdin = bytes.NewReader(buf.Bytes())
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("tar: %v %s", err, b)
		}
		if st, err := os.Stat(filepath.Join(out, "bin", "pompe")); err != nil || st.Mode().Perm()&0o100 == 0 {
			t.Fatalf("binary: %v %v", st, err)
		}
	}
}

func TestExtractTarRefusesEscapes(t *testing.T) {
	for _, h := range []tar.Header{
		{Name: "../evil", Typeflag: tar.TypeReg},
		{Name: "/etc/evil", Typeflag: tar.TypeReg},
		{Name: "a/../../evil", Typeflag: tar.TypeReg},
		{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc"},
	} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&h)
		tw.Close()
		if _, err := extractTar(&buf, t.TempDir()); err == nil {
			t.Fatalf("%q extracted", h.Name)
		}
	}
}

// TestScriptsParse checks the remote shell scripts with sh -n.
func TestScriptsParse(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	m := &machine{Host: Host{RemoteDir: "/opt/it's here"}, replicas: []int{0, 3}}
	for name, script := range map[string]string{
		"status": "if " + cdRemote(m, false) + "; then\n" + statusScript(m.replicas) + "else\n" + absentScript(m.replicas) + "fi",
		"start":  cdRemote(m, false) + " && {\n" + startScript(m.replicas) + "}",
		"stop":   stopScript(m.replicas, 2.5),
		"fetch":  fetchScript([]string{"logs/node0.log", "a b"}),
	} {
		if out, err := exec.Command("sh", "-n", "-c", script).CombinedOutput(); err != nil {
			t.Errorf("%s script: %v %s\n%s", name, err, out, script)
		}
	}
	if shellQuote("it's") != `'it'\''s'` {
		t.Fatal(shellQuote("it's"))
	}
}
