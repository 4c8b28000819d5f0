package testnet

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/config"
)

func TestParseHosts(t *testing.T) {
	tests := []struct {
		name, text string
		want       []Host
		wantErr    string
	}{
		{"plain", "10.0.0.1\n10.0.0.2 us-east\n", []Host{{Address: "10.0.0.1"}, {Address: "10.0.0.2", Region: "us-east"}}, ""},
		{"ports and comments", "# cluster\n\nnode-a.example.com:7000 eu-west # first\n  [2001:db8::1]:7100\n2001:db8::2\n",
			[]Host{{Address: "node-a.example.com", PeerPort: 7000, Region: "eu-west"}, {Address: "2001:db8::1", PeerPort: 7100}, {Address: "2001:db8::2"}}, ""},
		{"same host other port", "h1:7000\nh1:8000\n", []Host{{Address: "h1", PeerPort: 7000}, {Address: "h1", PeerPort: 8000}}, ""},
		{"empty", "# nothing\n\n", nil, "no hosts"},
		{"three fields", "h1 us-east extra\n", nil, "line 1"},
		{"bad port", "h1:99999\n", nil, "port"},
		{"zero port", "h1:0\n", nil, "port"},
		{"bad name", "h_1\n", nil, "neither"},
		{"bad region", "h1 us/east\n", nil, "region"},
		{"duplicate", "h1\nh2\nh1\n", nil, "line 3: h1 repeats line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseHosts([]byte(tc.text))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseHostsNeverPanics(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		text := rapid.StringOf(rapid.RuneFrom([]rune("ab1.:[]# \n-_xyz9"))).Draw(t, "text")
		hosts, err := ParseHosts([]byte(text))
		if err == nil && len(hosts) == 0 {
			t.Fatal("no error and no hosts")
		}
	})
}

// hostsText lists n made-up addresses over the reference's four regions.
func hostsText(n int) string {
	regions := []string{"us-east", "us-west", "eu-west", "ap-northeast"}
	var b strings.Builder
	b.WriteString("# generated\n")
	for i := range n {
		fmt.Fprintf(&b, "10.%d.%d.%d %s\n", i%4, i/250, i%250+1, regions[i%4])
	}
	return b.String()
}

// TestGenerateOnHosts covers the reference's cluster sizes: every home must
// load as a replica would load it.
func TestGenerateOnHosts(t *testing.T) {
	for _, n := range []int{4, 10, 16, 31, 61, 100} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			hosts, err := ParseHosts([]byte(hostsText(n)))
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "net")
			if err := Generate(Options{OutDir: dir, Hosts: hosts, Clients: 2, Rand: newSeeded(byte(n))}); err != nil {
				t.Fatal(err)
			}
			ci, err := LoadClusterInfo(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(ci.Homes) != n {
				t.Fatalf("%d homes, want %d", len(ci.Homes), n)
			}
			for i, home := range ci.Homes {
				h, err := config.Load(home)
				if err != nil {
					t.Fatal(err)
				}
				host, port, _ := net.SplitHostPort(h.Config.P2P.ListenPeer)
				if host != hosts[i].Address || port != strconv.Itoa(DefaultBasePeerPort) {
					t.Fatalf("replica %d listens on %s, want %s:%d", i, h.Config.P2P.ListenPeer, hosts[i].Address, DefaultBasePeerPort)
				}
				if ci.Regions[i] != hosts[i].Region {
					t.Fatalf("replica %d in region %q, want %q", i, ci.Regions[i], hosts[i].Region)
				}
			}
		})
	}
}

func TestGenerateSeveralReplicasPerHost(t *testing.T) {
	hosts := []Host{{Address: "10.0.0.1", Region: "a"}, {Address: "db.example.org", PeerPort: 9000}}
	dir := t.TempDir()
	err := Generate(Options{OutDir: dir, Hosts: hosts, N: 7, BasePeerPort: 7000, BaseClientPort: 7100, ListenAll: true, Rand: newSeeded(3)})
	if err != nil {
		t.Fatal(err)
	}
	ci, err := LoadClusterInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.1:7000", "db.example.org:9000", "10.0.0.1:7001", "db.example.org:9001", "10.0.0.1:7002", "db.example.org:9002", "10.0.0.1:7003"}
	wantClient := []string{"10.0.0.1:7100", "db.example.org:9100", "10.0.0.1:7101", "db.example.org:9101", "10.0.0.1:7102", "db.example.org:9102", "10.0.0.1:7103"}
	for i, r := range ci.Genesis.Replicas {
		if r.PeerAddress != want[i] || r.ClientAddress != wantClient[i] {
			t.Fatalf("replica %d at %s / %s, want %s / %s", i, r.PeerAddress, r.ClientAddress, want[i], wantClient[i])
		}
		h, err := config.Load(ci.Homes[i])
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(want[i])
		if h.Config.P2P.ListenPeer != "0.0.0.0:"+port {
			t.Fatalf("replica %d listens on %s, want all interfaces", i, h.Config.P2P.ListenPeer)
		}
	}
	if ci.Regions[1] != "" || ci.Regions[2] != "a" {
		t.Fatalf("regions %q", ci.Regions)
	}
}

func TestGenerateOnHostsRejects(t *testing.T) {
	one := []Host{{Address: "10.0.0.1"}}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"free ports", Options{Hosts: one, FreePorts: true}, "FreePorts"},
		{"ports overlap", Options{Hosts: one, N: 19, BasePeerPort: 7000, BaseClientPort: 7010}, "overlap"},
		{"port overflow", Options{Hosts: []Host{{Address: "h", PeerPort: 65535}}, N: 4}, "outside"},
		{"bad host", Options{Hosts: []Host{{Address: "a b"}}}, "neither"},
		{"n from hosts not 3f+1", Options{Hosts: []Host{{Address: "a"}, {Address: "b"}, {Address: "c"}}}, "n must be 3f+1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.OutDir = t.TempDir()
			err := Generate(opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
