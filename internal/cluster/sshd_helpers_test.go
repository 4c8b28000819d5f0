package cluster

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// testHost is one emulated machine: an address of its own (in a network
// namespace, or a distinct loopback address) with an sshd on it.
type testHost struct {
	addr    string // the machine's IP
	sshPort int
	netns   string // "" on loopback
	sshd    *exec.Cmd
}

func (h *testHost) sshAddress() string { return net.JoinHostPort(h.addr, strconv.Itoa(h.sshPort)) }

// testNet is a set of test hosts and what must be undone afterwards.
type testNet struct {
	hosts  []*testHost
	bridge string
	kind   string // "network namespaces" or "loopback addresses"
}

func findSSHD() string {
	for _, p := range []string{"/usr/sbin/sshd", "/usr/local/sbin/sshd"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("sshd"); err == nil {
		return p
	}
	return ""
}

func randByte(max int64) int {
	n, _ := rand.Int(rand.Reader, big.NewInt(max))
	return int(n.Int64())
}

// newTestNet makes n hosts: network namespaces joined by a bridge when
// ip netns works here, distinct loopback addresses otherwise.
func newTestNet(t *testing.T, n int) *testNet {
	tn := &testNet{}
	t.Cleanup(tn.cleanup)
	if os.Geteuid() == 0 {
		if err := tn.setupNetns(n); err == nil {
			tn.kind = "network namespaces"
			return tn
		} else {
			t.Logf("network namespaces unavailable (%v); using loopback addresses", err)
			tn.cleanup()
			tn.hosts, tn.bridge = nil, ""
		}
	}
	tn.kind = "loopback addresses"
	a, b := 1+randByte(250), randByte(250)
	for i := range n {
		tn.hosts = append(tn.hosts, &testHost{addr: fmt.Sprintf("127.%d.%d.%d", a, b, i+1)})
	}
	return tn
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (tn *testNet) setupNetns(n int) error {
	id := fmt.Sprintf("%04x", randByte(1<<16))
	subnet := fmt.Sprintf("10.%d.%d", 200+randByte(50), randByte(250))
	tn.bridge = "pbr" + id
	if err := ipCmd("link", "add", tn.bridge, "type", "bridge"); err != nil {
		tn.bridge = ""
		return err
	}
	steps := [][]string{{"addr", "add", subnet + ".1/24", "dev", tn.bridge}, {"link", "set", tn.bridge, "up"}}
	for _, s := range steps {
		if err := ipCmd(s...); err != nil {
			return err
		}
	}
	for i := range n {
		h := &testHost{addr: fmt.Sprintf("%s.%d", subnet, i+2), netns: fmt.Sprintf("pompe-%s-%d", id, i), sshPort: 22}
		if err := ipCmd("netns", "add", h.netns); err != nil {
			return err
		}
		tn.hosts = append(tn.hosts, h)
		veth := fmt.Sprintf("pv%s%d", id, i)
		for _, s := range [][]string{
			{"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", h.netns},
			{"link", "set", veth, "master", tn.bridge},
			{"link", "set", veth, "up"},
			{"-n", h.netns, "addr", "add", h.addr + "/24", "dev", "eth0"},
			{"-n", h.netns, "link", "set", "eth0", "up"},
			{"-n", h.netns, "link", "set", "lo", "up"},
		} {
			if err := ipCmd(s...); err != nil {
				return err
			}
		}
	}
	return nil
}

func (tn *testNet) cleanup() {
	for _, h := range tn.hosts {
		if h.sshd != nil && h.sshd.Process != nil {
			h.sshd.Process.Kill()
			h.sshd.Wait()
			h.sshd = nil
		}
		if h.netns != "" {
			ipCmd("netns", "del", h.netns)
		}
	}
	if tn.bridge != "" {
		ipCmd("link", "del", tn.bridge)
	}
}

// sshKeys is the throw-away client key and the files sshd and the client
// read.
type sshKeys struct {
	clientKeyFile  string
	authorizedKeys string
	knownHosts     string
}

func writePrivateKey(t *testing.T, path string) ssh.PublicKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer.PublicKey()
}

// startSSHDs starts one sshd per host with a fresh host key, all trusting
// one fresh client key, and writes known_hosts for them.
func (tn *testNet) startSSHDs(t *testing.T, sshd, dir string) sshKeys {
	t.Helper()
	keys := sshKeys{
		clientKeyFile:  filepath.Join(dir, "id_ed25519"),
		authorizedKeys: filepath.Join(dir, "authorized_keys"),
		knownHosts:     filepath.Join(dir, "known_hosts"),
	}
	clientPub := writePrivateKey(t, keys.clientKeyFile)
	if err := os.WriteFile(keys.authorizedKeys, ssh.MarshalAuthorizedKey(clientPub), 0o600); err != nil {
		t.Fatal(err)
	}
	// Privilege separation needs this directory when sshd runs as root.
	os.MkdirAll("/run/sshd", 0o755)
	var known strings.Builder
	for i, h := range tn.hosts {
		if h.sshPort == 0 {
			l, err := net.Listen("tcp", h.addr+":0")
			if err != nil {
				t.Fatal(err)
			}
			h.sshPort = l.Addr().(*net.TCPAddr).Port
			l.Close()
		}
		hostKey := filepath.Join(dir, fmt.Sprintf("host%d_key", i))
		hostPub := writePrivateKey(t, hostKey)
		known.WriteString(knownhosts.Line([]string{knownhosts.Normalize(h.sshAddress())}, hostPub) + "\n")
		cfg := filepath.Join(dir, fmt.Sprintf("sshd%d.conf", i))
		text := fmt.Sprintf(`Port %d
ListenAddress %s
HostKey %s
AuthorizedKeysFile %s
PidFile %s
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
LogLevel ERROR
`, h.sshPort, h.addr, hostKey, keys.authorizedKeys, filepath.Join(dir, fmt.Sprintf("sshd%d.pid", i)))
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{sshd, "-D", "-e", "-f", cfg}
		if h.netns != "" {
			args = append([]string{"ip", "netns", "exec", h.netns}, args...)
		}
		h.sshd = exec.Command(args[0], args[1:]...)
		h.sshd.Stderr = &prefixWriter{t: t, prefix: fmt.Sprintf("sshd %d: ", i)}
		if err := h.sshd.Start(); err != nil {
			t.Fatalf("start sshd: %v", err)
		}
	}
	if err := os.WriteFile(keys.knownHosts, []byte(known.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, h := range tn.hosts {
		waitListening(t, h.sshAddress())
	}
	return keys
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("sshd on %s never listened: %v", addr, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// prefixWriter forwards a process's stderr to the test log.
type prefixWriter struct {
	t      *testing.T
	prefix string
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.t.Log(w.prefix + strings.TrimSpace(string(p)))
	return len(p), nil
}
