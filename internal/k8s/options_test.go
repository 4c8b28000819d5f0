package k8s

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/testnet"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string // "" for valid
	}{
		{"defaults", Options{}, ""},
		{"full", Options{Namespace: "bft-1", Image: "reg.example.com:5000/team/pompe@sha256:abc", StorageSize: "500Mi", ClusterDomain: "corp.local"}, ""},
		{"upper namespace", Options{Namespace: "Pompe"}, "namespace"},
		{"long namespace", Options{Namespace: strings.Repeat("a", 64)}, "namespace"},
		{"image with space", Options{Image: "pompe latest"}, "image"},
		{"bad storage", Options{StorageSize: "lots"}, "storage"},
		{"zero storage", Options{StorageSize: "0"}, "storage"},
		{"negative storage", Options{StorageSize: "-1Gi"}, "storage"},
		{"bad domain", Options{ClusterDomain: "under_score"}, "domain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.WithDefaults().Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestConfigureTestnetRejects(t *testing.T) {
	tests := []struct {
		name string
		opts testnet.Options
		want string
	}{
		{"hosts", testnet.Options{Hosts: []testnet.Host{{Address: "10.0.0.1"}}}, "hosts"},
		{"distinct ips", testnet.Options{DistinctIPs: true}, "hosts"},
		{"free ports", testnet.Options{FreePorts: true}, "hosts"},
		{"too many", testnet.Options{N: testnet.MaxReplicas + 1}, "replicas"},
		{"metrics port taken", testnet.Options{BasePeerPort: DefaultMetricsPort}, "metrics port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			err := ConfigureTestnet(&opts, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	opts := testnet.Options{}
	if err := ConfigureTestnet(&opts, Options{Namespace: "-bad"}); err == nil {
		t.Fatal("a bad namespace was accepted")
	}
}

func TestBuildRejectsTestnetsNotMadeForPods(t *testing.T) {
	loopback := filepath.Join(t.TempDir(), "net")
	if err := testnet.Generate(testnet.Options{OutDir: loopback, N: 4, Rand: newSeeded(1)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		opts Options
		want string
	}{
		{"loopback testnet", loopback, Options{}, "not on pompe-0-0.pompe.pompe.svc.cluster.local"},
		{"other namespace", generate(t, 4, Options{Namespace: "one"}), Options{Namespace: "two"}, "namespace"},
		{"no testnet", t.TempDir(), Options{}, "testnet.toml"},
		{"bad options", loopback, Options{StorageSize: "x"}, "storage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.dir, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestBuildWithoutMetricsProbesTheClientPort(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	opts := testnet.Options{OutDir: dir, N: 4, Rand: newSeeded(2)}
	if err := ConfigureTestnet(&opts, Options{}); err != nil {
		t.Fatal(err)
	}
	prev := opts.OverrideReplica
	opts.OverrideReplica = func(i int, c *config.Config) {
		prev(i, c)
		c.Metrics.Listen = ""
	}
	if err := testnet.Generate(opts); err != nil {
		t.Fatal(err)
	}
	m, err := Build(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := m.StatefulSets[0].Spec.Template.Spec.Containers[0]
	if len(c.Ports) != 2 || c.LivenessProbe.TCPSocket == nil || c.LivenessProbe.TCPSocket.Port.StrVal != portClient {
		t.Fatalf("ports %+v, liveness %+v: want peer and client ports and a TCP probe", c.Ports, c.LivenessProbe)
	}
}
