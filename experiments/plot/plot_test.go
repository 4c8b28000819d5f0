package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	pompeB1    = `{"mode":"pompe","nodes":4,"batch":1,"executed_per_s":445.2,"exec_latency_ms":{"p50":34.05},"order_latency_ms":{"p50":7.52},"net_bytes_per_cmd":2048}`
	pompeB100  = `{"mode":"pompe","nodes":4,"batch":100,"executed_per_s":19906,"exec_latency_ms":{"p50":64.77},"order_latency_ms":{"p50":9.15}}`
	hotstuffB1 = `{"mode":"hotstuff","nodes":4,"batch":1,"executed_per_s":1373,"exec_latency_ms":{"p50":10.69},"order_latency_ms":{"p50":0},"ordered_per_s":0,"replica_cpu_cores":null}`
)

func writeSummaries(t *testing.T, contents ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, c := range contents {
		p := filepath.Join(dir, "run"+string(rune('a'+i))+".json")
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func TestFormatNumber(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {4, "4"}, {1000, "1,000"}, {48463.4, "48,463"}, {-1234567, "-1,234,567"},
		{34.05, "34.05"}, {1.5, "1.50"}, {0.0123, "0.0123"}, {123.6, "124"},
	} {
		if got := formatNumber(tc.in); got != tc.want {
			t.Errorf("formatNumber(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLookup(t *testing.T) {
	s, err := parseSummary("x", []byte("progress line\n"+hotstuffB1+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want string
	}{
		{"mode", "hotstuff"},
		{"exec_latency_ms.p50", "10.69"},
		{"executed_per_s", "1,373"},
		{"batch", "1"},
		{"replica_cpu_cores", missing}, // null counts as missing
		{"net_bytes_per_cmd", missing}, // absent
		{"mode.p50", missing},          // through a non-object
		{"exec_latency_ms.p99", missing},
		{"order_latency_ms.p50", missing}, // no ordering phase in hotstuff mode
		{"ordered_per_s", missing},
	} {
		if got := s.text(tc.path); got != tc.want {
			t.Errorf("text(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestBadSummaries(t *testing.T) {
	for _, tc := range []struct {
		name, content, wantErr string
	}{
		{"empty", "", "empty"},
		{"blank lines", "\n\n  \n", "empty"},
		{"not json", "replicas ready", "not a JSON summary"},
		{"array", "[1,2]", "not a JSON summary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadSummaries(writeSummaries(t, tc.content))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	if _, err := loadSummaries(nil); err == nil {
		t.Fatal("no files: want an error")
	}
}

func TestParseColumns(t *testing.T) {
	for _, tc := range []struct {
		spec    string
		want    []column
		wantErr bool
	}{
		{"mode", []column{{"mode", "mode"}}, false},
		{"mode:Mode, exec_latency_ms.p50:exec p50 ms,", []column{{"mode", "Mode"}, {"exec_latency_ms.p50", "exec p50 ms"}}, false},
		{"", nil, true},
		{":header", nil, true},
		{strings.Repeat("a,", maxColumns+1), nil, true},
	} {
		got, err := parseColumns(tc.spec)
		if (err != nil) != tc.wantErr {
			t.Errorf("parseColumns(%q) error %v, want error %v", tc.spec, err, tc.wantErr)
			continue
		}
		if !tc.wantErr && !equalColumns(got, tc.want) {
			t.Errorf("parseColumns(%q) = %v, want %v", tc.spec, got, tc.want)
		}
	}
}

func equalColumns(a, b []column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTableShowsMissingAsDash(t *testing.T) {
	var out bytes.Buffer
	code, err := run(append([]string{"table", "--columns", "mode,batch,net_bytes_per_cmd:bytes/cmd"},
		writeSummaries(t, pompeB1, hotstuffB1)...), &out)
	if err != nil || code != 0 {
		t.Fatalf("code %d, err %v", code, err)
	}
	want := "| mode | batch | bytes/cmd |\n|---|---:|---:|\n| pompe | 1 | 2,048 |\n| hotstuff | 1 | - |\n"
	if out.String() != want {
		t.Fatalf("table:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestPairTable(t *testing.T) {
	var out bytes.Buffer
	code, err := run(append([]string{"pair", "--key", "batch", "--field", "exec_latency_ms.p50", "--header", "p50",
		"--also", "order_latency_ms.p50:order p50"}, writeSummaries(t, pompeB1, pompeB100, hotstuffB1)...), &out)
	if err != nil || code != 0 {
		t.Fatalf("code %d, err %v", code, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("want header, rule and 2 rows, got:\n%s", out.String())
	}
	if want := "| batch=1 | 34.05 | 10.69 | 23.36 | 3.19 | 7.52 |"; lines[2] != want {
		t.Errorf("row %q, want %q", lines[2], want)
	}
	if want := "| batch=100 | 64.77 | - | - | - | 9.15 |"; lines[3] != want {
		t.Errorf("row %q, want %q", lines[3], want)
	}
}

func TestHas(t *testing.T) {
	for _, tc := range []struct {
		name     string
		contents []string
		wantCode int
	}{
		{"all", []string{pompeB1}, 0},
		{"some", []string{pompeB1, hotstuffB1}, exitMissing},
		{"none", []string{pompeB100, hotstuffB1}, exitMissing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, err := run(append([]string{"has", "net_bytes_per_cmd"}, writeSummaries(t, tc.contents...)...), &bytes.Buffer{})
			if err != nil || code != tc.wantCode {
				t.Fatalf("code %d err %v, want code %d", code, err, tc.wantCode)
			}
		})
	}
}

func TestSeriesLines(t *testing.T) {
	runs, err := loadSummaries(writeSummaries(t, pompeB100, hotstuffB1, pompeB1,
		`{"mode":"hotstuff","batch":10,"executed_per_s":0,"exec_latency_ms":{"p50":5}}`))
	if err != nil {
		t.Fatal(err)
	}
	lines, skipped := seriesLines(runs, chartSpec{x: "executed_per_s", y: "exec_latency_ms.p50", order: "batch", series: []string{"mode"}, xLog: true})
	if skipped != 1 {
		t.Errorf("skipped %d, want 1 (zero on a log axis)", skipped)
	}
	if len(lines) != 2 || lines[0].label != "pompe" || lines[1].label != "hotstuff" {
		t.Fatalf("lines %+v", lines)
	}
	if p := lines[0].pts; len(p) != 2 || p[0].order != 1 || p[1].order != 100 {
		t.Errorf("pompe points not in batch order: %+v", p)
	}
}

func TestChartWritesPNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	args := append([]string{"chart", "--x", "batch", "--y", "executed_per_s", "--series", "mode,nodes", "--xlog", "--xdata", "--label", "batch",
		"--out", dir, "--name", "tput"}, writeSummaries(t, pompeB1, pompeB100, hotstuffB1)...)
	if code, err := run(args, &bytes.Buffer{}); err != nil || code != 0 {
		t.Fatalf("code %d, err %v", code, err)
	}
	for _, ext := range []string{"png", "svg"} {
		if st, err := os.Stat(filepath.Join(dir, "tput."+ext)); err != nil || st.Size() == 0 {
			t.Errorf("tput.%s: %v", ext, err)
		}
	}
	var out bytes.Buffer
	args = append([]string{"chart", "--x", "batch", "--y", "net_peer_bytes_per_cmd", "--out", dir, "--name", "bytes"},
		writeSummaries(t, pompeB1)...)
	if code, err := run(args, &out); err != nil || code != 0 || !strings.Contains(out.String(), "not drawn") {
		t.Fatalf("missing field: code %d, err %v, out %q", code, err, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "bytes.png")); !os.IsNotExist(err) {
		t.Errorf("a chart without data was written: %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		nil, {"draw"}, {"table"}, {"chart", "--x", "a"}, {"chart", "--x", "a", "--y", "b", "--out", "d", "--name", "a/b", "f"},
		{"pair", "--field", "x"}, {"has", "x"},
	} {
		if code, err := run(args, &bytes.Buffer{}); err == nil || code == 0 {
			t.Errorf("run(%q): code %d, err %v; want a usage error", args, code, err)
		}
	}
}

func TestTarget(t *testing.T) {
	idle := `{"mode":"pompe","duration_s":10,"replica_rss_start_mib":30,"replica_rss_end_mib":34.5,` +
		`"resources":[{"replica":0,"samples":[{"net_sent_bytes":0},{"net_sent_bytes":300}]},{"replica":1,"samples":[{"net_sent_bytes":200}]}]}`
	for _, tc := range []struct {
		name     string
		args     []string
		contents []string
		want     string
	}{
		{"min above", []string{"executed_per_s", ">=", "400"}, []string{pompeB1, pompeB100}, "445\tyes\n"},
		{"min below", []string{"executed_per_s", ">=", "1000"}, []string{pompeB1, pompeB100}, "445\tno\n"},
		{"max below", []string{"exec_latency_ms.p50", "<=", "70"}, []string{pompeB1, pompeB100}, "64.77\tyes\n"},
		{"max above", []string{"exec_latency_ms.p50", "<=", "50"}, []string{pompeB1, pompeB100}, "64.77\tno\n"},
		{"not measured", []string{"replica_rss_max_mib", "<=", "512"}, []string{pompeB1}, "-\t-\n"},
		{"derived bytes per second", []string{"net_sent_bytes_per_s", "<=", "100"}, []string{idle}, "50\tyes\n"},
		{"derived rss growth", []string{"replica_rss_growth_mib", "<=", "4"}, []string{idle}, "4.50\tno\n"},
		{"derived without inputs", []string{"net_sent_bytes_per_s", "<=", "100"}, []string{pompeB1}, "-\t-\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			code, err := run(append(append([]string{"target"}, tc.args...), writeSummaries(t, tc.contents...)...), &out)
			if err != nil || code != 0 {
				t.Fatalf("code %d, err %v", code, err)
			}
			if out.String() != tc.want {
				t.Fatalf("got %q, want %q", out.String(), tc.want)
			}
		})
	}
	for _, bad := range [][]string{{"x", "<", "1"}, {"x", "<=", "many"}, {"x", "<="}} {
		if code, err := run(append(append([]string{"target"}, bad...), writeSummaries(t, pompeB1)...), &bytes.Buffer{}); err == nil || code == 0 {
			t.Errorf("target %q: code %d, want a usage error", bad, code)
		}
	}
}

func TestRatio(t *testing.T) {
	idle := `{"mode":"hotstuff","batch":1000,"executed_per_s":0}`
	for _, tc := range []struct {
		name     string
		args     []string
		contents []string
		want     string
	}{
		{"above", []string{"executed_per_s", ">=", "10"}, []string{pompeB100, hotstuffB1}, "14.50 (19,906 / 1,373)\tyes\n"},
		{"below", []string{"executed_per_s", ">=", "0.8"}, []string{pompeB1, hotstuffB1}, "0.324 (445 / 1,373)\tno\n"},
		{"order matters", []string{"executed_per_s", "<=", "0.8"}, []string{pompeB1, hotstuffB1}, "0.324 (445 / 1,373)\tyes\n"},
		{"nested field", []string{"exec_latency_ms.p50", "<=", "2"}, []string{pompeB100, pompeB1}, "1.90 (64.77 / 34.05)\tyes\n"},
		{"numerator lacks it", []string{"replica_cpu_cores", ">=", "0.8"}, []string{pompeB1, hotstuffB1}, "-\t-\n"},
		{"divisor lacks it", []string{"net_bytes_per_cmd", ">=", "0.8"}, []string{pompeB1, hotstuffB1}, "-\t-\n"},
		{"divisor zero", []string{"executed_per_s", ">=", "0.8"}, []string{pompeB1, idle}, "-\t-\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			code, err := run(append(append([]string{"ratio"}, tc.args...), writeSummaries(t, tc.contents...)...), &out)
			if err != nil || code != 0 {
				t.Fatalf("code %d, err %v", code, err)
			}
			if out.String() != tc.want {
				t.Fatalf("got %q, want %q", out.String(), tc.want)
			}
		})
	}
	for _, bad := range []struct {
		args []string
		runs int
	}{
		{[]string{"executed_per_s", ">=", "0.8"}, 1},
		{[]string{"executed_per_s", ">=", "0.8"}, 3},
		{[]string{"executed_per_s", ">", "0.8"}, 2},
		{[]string{"executed_per_s", ">=", "most"}, 2},
	} {
		files := writeSummaries(t, pompeB1, pompeB100, hotstuffB1)[:bad.runs]
		if code, err := run(append(append([]string{"ratio"}, bad.args...), files...), &bytes.Buffer{}); err == nil || code == 0 {
			t.Errorf("ratio %q over %d runs: code %d, want a usage error", bad.args, bad.runs, code)
		}
	}
}

func TestSettingFieldsAreNotGrouped(t *testing.T) {
	s, err := parseSummary("x", []byte(`{"batch":1000,"nodes":16,"executed_per_s":1000}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.text("batch"); got != "1000" {
		t.Errorf("batch %q, want 1000", got)
	}
	if got := s.text("executed_per_s"); got != "1,000" {
		t.Errorf("executed_per_s %q, want 1,000", got)
	}
}
