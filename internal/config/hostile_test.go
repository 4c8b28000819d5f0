package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileTOMLIsRefusedBeforeParsing: shapes the TOML parser handles in
// quadratic time or worse (a 32 KB dotted key took 46 s, nested inline
// tables 64 s) are refused by CheckTOML, and so by every parse and read,
// with an error naming the line. Refusal is asserted, not time.
func TestHostileTOMLIsRefusedBeforeParsing(t *testing.T) {
	const n = 32 << 10
	for _, tc := range []struct {
		name, text, want string
	}{
		{"dotted key", strings.Repeat("a.", n/2) + "a = 1\n", "dotted parts"},
		{"dotted key after a comment", "# x.y.z\n\n" + strings.Repeat("a.", 9) + "a = 1\n", "line 3"},
		{"quoted dotted key", strings.Repeat(`"a".`, 9) + "a = 1\n", "dotted parts"},
		{"table header", "[" + strings.Repeat("a.", n/2) + "a]\n", "dotted parts"},
		{"nested inline tables", "a = " + strings.Repeat("{b=", n/4) + "1" + strings.Repeat("}", n/4) + "\n", "nested"},
		{"nested arrays", "a = " + strings.Repeat("[", n/2) + strings.Repeat("]", n/2) + "\n", "nested"},
		{"nested arrays over lines", "a = " + strings.Repeat("[\n", 9) + strings.Repeat("]\n", 9), "line 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTOML([]byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckTOML: %v, want an error with %q", err, tc.want)
			}
		})
	}
	// Every reader goes through the check before the parser: a small
	// hostile shape is refused for its shape, not as an unknown key.
	small := "a.b.c.d.e.f = 1\n"
	if _, err := ParseConfig([]byte(small)); err == nil || !strings.Contains(err.Error(), "dotted parts") {
		t.Errorf("ParseConfig: %v", err)
	}
	if _, err := ParseGenesis([]byte(small)); err == nil || !strings.Contains(err.Error(), "dotted parts") {
		t.Errorf("ParseGenesis: %v", err)
	}
	key := filepath.Join(t.TempDir(), "key.toml")
	if err := os.WriteFile(key, []byte(small), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKeyFile(key); err == nil || !strings.Contains(err.Error(), "dotted parts") {
		t.Errorf("ReadKeyFile: %v", err)
	}
}

// TestCheckTOMLAcceptsWhatPompeWrites: strings and comments may hold any
// dots and brackets; every file pompe writes passes.
func TestCheckTOMLAcceptsWhatPompeWrites(t *testing.T) {
	for _, text := range []string{
		`a = "x.y.z.w.v.u.t.s.r.q.p [[[[[[[[[[ {{{{{{{{{"` + "\n",
		`a = 'x.y.z.w.v.u.t.s.r.q.p [[[[[[[[[[ \'` + "\n",
		"a = \"\"\"\nx.y.z.w.v.u.t.s.r.q.p\n[[[[[[[[[[\"\"\"\n",
		"a = '''\nx.y.z.w.v.u.t.s.r.q.p\n[[[[[[[[[['''\n",
		"a = \"esc \\\" x.y.z.w.v.u.t.s.r.q.p\"\n",
		"# x.y.z.w.v.u.t.s.r.q.p [[[[[[[[[[\na = 1\n",
		"[emulation.links.12]\nloss = 0.5\n",
		"a = [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5]\n",
		"t = 2026-01-02T03:04:05.123456Z\n",
		"a.b.c.d.e = 1\n",
	} {
		if err := CheckTOML([]byte(text)); err != nil {
			t.Errorf("CheckTOML(%q): %v", text, err)
		}
	}
	c := Default()
	c.Emulation.Links = map[string]LinkEmulation{}
	for i := range 100 {
		c.Emulation.Links[fmt.Sprint(i)] = LinkEmulation{Delay: Duration(i), Loss: 0.25}
	}
	data, err := EncodeConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseConfig(data); err != nil {
		t.Fatalf("a config with 100 links: %v", err)
	}
	g, _ := testGenesis(t, 100)
	for i := range g.Replicas {
		r := &g.Replicas[i]
		r.PeerAddress = fmt.Sprintf("pompe-%d-0.pompe.a-long-namespace-name.svc.cluster.local:26600", i)
		r.ClientAddress = fmt.Sprintf("pompe-%d-0.pompe.a-long-namespace-name.svc.cluster.local:26700", i)
	}
	data, err = EncodeGenesis(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > MaxGenesisBytes/4 {
		t.Errorf("a 100-replica genesis is %d bytes: the margin below MaxGenesisBytes (%d) is gone", len(data), MaxGenesisBytes)
	}
	if _, err := ParseGenesis(data); err != nil {
		t.Fatalf("a 100-replica genesis: %v", err)
	}
}

// TestOversizedFilesAreRefused: files over their limit are refused before
// they are read whole or parsed, and the writers refuse to make them.
func TestOversizedFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.toml")
	pad := "# " + strings.Repeat("x", 1000) + "\n"
	if err := os.WriteFile(big, []byte(strings.Repeat(pad, MaxGenesisBytes/len(pad)+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadGenesis(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("ReadGenesis of %d+ bytes: %v", MaxGenesisBytes, err)
	}
	if _, err := ReadConfig(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("ReadConfig of %d+ bytes: %v", MaxConfigBytes, err)
	}
	if _, err := ReadKeyFile(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("ReadKeyFile: %v", err)
	}
	data, _ := os.ReadFile(big)
	if _, err := ParseGenesis(data); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("ParseGenesis: %v", err)
	}
	g, _ := testGenesis(t, 4)
	g.ClusterID = strings.Repeat("c", MaxGenesisBytes)
	if err := WriteGenesis(filepath.Join(dir, "genesis.toml"), g); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("WriteGenesis of a %d-byte cluster id: %v", len(g.ClusterID), err)
	}
}

// TestUnknownKeysAreListedBriefly: thousands of unknown keys make a short
// error, not one that echoes the file.
func TestUnknownKeysAreListedBriefly(t *testing.T) {
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, "k%d = 1\n", i)
	}
	_, err := ParseConfig([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "and 1995 more") || len(err.Error()) > 200 {
		t.Fatalf("error %q", err)
	}
}

// TestLargestAllowlistFits: a genesis listing MaxAllowlistClients client
// keys encodes within MaxGenesisBytes and parses back whole, so every
// allowlist Validate accepts is one a replica can read.
func TestLargestAllowlistFits(t *testing.T) {
	g, _ := testGenesis(t, 4)
	key := g.Replicas[0].PublicKey
	g.Clients = make([]string, MaxAllowlistClients)
	for i := range g.Clients {
		g.Clients[i] = key // the size is what matters here, not distinctness
	}
	data, err := EncodeGenesis(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > MaxGenesisBytes {
		t.Fatalf("a genesis of %d clients is %d bytes, over MaxGenesisBytes (%d)", MaxAllowlistClients, len(data), MaxGenesisBytes)
	}
	if err := CheckTOML(data); err != nil {
		t.Fatalf("the shape check refuses it: %v", err)
	}
	var back Genesis
	if _, err := decodeStrict(data, &back, MaxGenesisBytes); err != nil || len(back.Clients) != MaxAllowlistClients {
		t.Fatalf("parsed %d clients, err %v", len(back.Clients), err)
	}
}
