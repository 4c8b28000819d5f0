package docs

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/node"
)

// series is one metric family: its type and the names of its labels.
type series struct {
	typ    string
	labels []string // sorted; the replica label every series carries is left out
}

func (s series) String() string { return fmt.Sprintf("%s{%s}", s.typ, strings.Join(s.labels, ",")) }

// docRow matches a row of a series table in docs/metrics.md:
// | `pompe_name{label,label}` | type | meaning |
var docRow = regexp.MustCompile("(?m)^\\|\\s*`(pompe_[a-z0-9_]+)(?:\\{([a-z_, ]+)\\})?`\\s*\\|\\s*([a-z]+)\\s*\\|")

// documentedSeries reads the pompe_ series that docs/metrics.md lists.
func documentedSeries(text string) (map[string]series, error) {
	out := map[string]series{}
	for _, m := range docRow.FindAllStringSubmatch(text, -1) {
		var labels []string
		for _, l := range strings.Split(m[2], ",") {
			if l = strings.TrimSpace(l); l != "" {
				labels = append(labels, l)
			}
		}
		slices.Sort(labels)
		if _, dup := out[m[1]]; dup {
			return nil, fmt.Errorf("%s is listed twice", m[1])
		}
		out[m[1]] = series{typ: m[3], labels: labels}
	}
	return out, nil
}

var (
	typeLine  = regexp.MustCompile(`^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) ([a-z]+)$`)
	sample    = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? `)
	labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"`)
)

// servedSeries parses a Prometheus text exposition into its families, with
// the label names their samples carry and the samples themselves (name and
// labels as served, for checks of single series).
func servedSeries(r io.Reader) (map[string]series, []string, error) {
	families := map[string]series{}
	labels := map[string]map[string]bool{}
	var samples []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := typeLine.FindStringSubmatch(line); m != nil {
			families[m[1]] = series{typ: m[2]}
			labels[m[1]] = map[string]bool{}
			continue
		}
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		m := sample.FindStringSubmatch(line)
		if m == nil {
			return nil, nil, fmt.Errorf("unparsable sample line %q", line)
		}
		samples = append(samples, strings.Fields(line)[0])
		name := m[1]
		if _, ok := families[name]; !ok {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if f := strings.TrimSuffix(name, suffix); f != name {
					if _, ok := families[f]; ok {
						name = f
						break
					}
				}
			}
		}
		if _, ok := families[name]; !ok {
			return nil, nil, fmt.Errorf("sample %q of no declared family", line)
		}
		for _, l := range labelPair.FindAllStringSubmatch(m[2], -1) {
			if l[1] != "replica" && l[1] != "le" {
				labels[name][l[1]] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	for name, s := range families {
		for l := range labels[name] {
			s.labels = append(s.labels, l)
		}
		slices.Sort(s.labels)
		families[name] = s
	}
	return families, samples, nil
}

// startReplica writes the home of replica 0 of a four-replica cluster
// whose other replicas never start, opens it with a metrics listener, and
// runs it until the test ends. It returns the metrics address.
func startReplica(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	// Ports stay held until all are chosen, so no two addresses collide.
	var held []net.Listener
	free := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, ln)
		return ln.Addr().String()
	}
	g := config.Genesis{ClusterID: "docs-metrics", Mode: config.ModePompe, Created: time.Now().UTC()}
	var own crypto.PrivateKey
	for i := range 4 {
		k, err := crypto.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			own = k
		}
		g.Replicas = append(g.Replicas, config.ReplicaInfo{Index: i, PublicKey: crypto.EncodeKey(k.Public()),
			PeerAddress: free(), ClientAddress: free()})
	}
	c := config.Default()
	c.Node.LogLevel = "error"
	c.Metrics.Listen = free()
	for _, ln := range held {
		ln.Close()
	}
	home := filepath.Join(dir, "node0")
	if err := config.WriteHome(home, c, g, own); err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(home, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("replica stopped with %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Error("replica did not stop")
		}
	})
	return c.Metrics.Listen
}

// scrape fetches /metrics, retrying until the listener is up.
func scrape(t *testing.T, addr string) (map[string]series, []string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /metrics: %s", resp.Status)
			}
			fams, samples, err := servedSeries(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return fams, samples
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics listener never answered: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMetricsDocMatchesNode starts a real replica, scrapes its /metrics and
// compares every pompe_ family with the tables of docs/metrics.md, both
// ways: each served family is documented with its type and labels, and each
// documented one is served from the start.
func TestMetricsDocMatchesNode(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "docs/metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented, err := documentedSeries(string(raw))
	if err != nil {
		t.Fatalf("docs/metrics.md: %v", err)
	}
	if len(documented) == 0 {
		t.Fatal("docs/metrics.md lists no pompe_ series")
	}
	served, samples := scrape(t, startReplica(t))

	for name, s := range served {
		if !strings.HasPrefix(name, "pompe_") {
			continue
		}
		d, ok := documented[name]
		switch {
		case !ok:
			t.Errorf("%s (%v) is served but not in docs/metrics.md", name, s)
		case d.typ != s.typ || !slices.Equal(d.labels, s.labels):
			t.Errorf("%s: docs/metrics.md says %v, the replica serves %v", name, d, s)
		}
	}
	for name := range documented {
		if _, ok := served[name]; !ok {
			t.Errorf("%s is in docs/metrics.md but a running replica does not serve it", name)
		}
	}
	// The page promises the standard Go runtime and process series.
	for _, prefix := range []string{"go_", "process_"} {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(served)), func(n string) bool { return strings.HasPrefix(n, prefix) }) {
			t.Errorf("no %s* series served, which docs/metrics.md promises", prefix)
		}
	}

	// Series that must exist before anything happens, and one that must not.
	for _, want := range []string{
		`pompe_rejected_inputs_total{replica="0",source="client"}`,
		`pompe_rejected_inputs_total{replica="0",source="replica"}`,
		`pompe_transport_outbound_up{peer="1",replica="0"}`,
	} {
		if !slices.Contains(samples, want) {
			t.Errorf("%s is not served from the start", want)
		}
	}
	for _, s := range samples {
		if strings.HasPrefix(s, "pompe_transport_outbound_up{") && strings.Contains(s, `peer="0"`) {
			t.Errorf("replica 0 serves %s: an outbound link to itself, which does not exist", s)
		}
	}
}

func TestDocumentedSeries(t *testing.T) {
	got, err := documentedSeries("| name | type |\n|---|---|\n| `pompe_a_total` | counter | x |\n| `pompe_b{peer,reason}` | counter | y |\n|  `pompe_c` | histogram | z |\n| `go_x` | gauge | no |\n")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"pompe_a_total": "counter{}", "pompe_b": "counter{peer,reason}", "pompe_c": "histogram{}"}
	if len(got) != len(want) {
		t.Fatalf("documentedSeries = %v, want %v", got, want)
	}
	for name, w := range want {
		if got[name].String() != w {
			t.Errorf("%s = %v, want %s", name, got[name], w)
		}
	}
	if _, err := documentedSeries("| `pompe_a` | gauge | x |\n| `pompe_a` | gauge | y |\n"); err == nil {
		t.Error("a series listed twice was accepted")
	}
}

func TestServedSeries(t *testing.T) {
	text := `# HELP pompe_h x
# TYPE pompe_h histogram
pompe_h_bucket{replica="0",le="1"} 0
pompe_h_sum{replica="0"} 0
pompe_h_count{replica="0"} 0
# TYPE pompe_c counter
pompe_c{kind="peer",replica="0"} 3
pompe_c{kind="client",replica="0"} 4
# TYPE go_goroutines gauge
go_goroutines 7
`
	got, samples, err := servedSeries(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"pompe_h": "histogram{}", "pompe_c": "counter{kind}", "go_goroutines": "gauge{}"}
	for name, w := range want {
		if got[name].String() != w {
			t.Errorf("%s = %v, want %s", name, got[name], w)
		}
	}
	if len(samples) != 6 || samples[3] != `pompe_c{kind="peer",replica="0"}` {
		t.Errorf("samples = %q", samples)
	}
	if _, _, err := servedSeries(strings.NewReader("orphan_sample 1\n")); err == nil {
		t.Error("a sample without a family was accepted")
	}
}
