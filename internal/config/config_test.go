package config

import (
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
}

// Every key of the config struct must appear in the written default file,
// in its section, right below a comment explaining it.
func TestDefaultConfigDocumentsEveryKey(t *testing.T) {
	c := Default()
	c.Emulation.Links = map[string]LinkEmulation{"1": {}}
	data, err := EncodeConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	// key path -> index of its line
	found := map[string]int{}
	section := ""
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "["):
			section = strings.Trim(l, "[]")
			found["["+section+"]"] = i
		case strings.Contains(l, " = ") && !strings.HasPrefix(l, "#"):
			key, _, _ := strings.Cut(l, " = ")
			found[section+"."+key] = i
		}
	}
	documented := func(path string) {
		t.Helper()
		i, ok := found[path]
		if !ok {
			t.Errorf("%s missing from the default config.toml", path)
			return
		}
		if i == 0 || !strings.HasPrefix(lines[i-1], "# ") {
			t.Errorf("%s has no comment above it", path)
		}
	}
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Tag.Get("doc") == "" {
				t.Errorf("%s%s has no doc tag", prefix, tomlName(f))
			}
			switch f.Type.Kind() {
			case reflect.Struct:
				if f.Type == reflect.TypeOf(time.Time{}) {
					documented(strings.TrimSuffix(prefix, ".") + "." + tomlName(f))
					continue
				}
				documented("[" + prefix + tomlName(f) + "]")
				walk(prefix+tomlName(f)+".", f.Type)
			case reflect.Map:
				walk(prefix+tomlName(f)+".1.", f.Type.Elem())
			default:
				documented(strings.TrimSuffix(prefix, ".") + "." + tomlName(f))
			}
		}
	}
	walk("", reflect.TypeOf(Config{}))
	if t.Failed() {
		t.Logf("written file:\n%s", data)
	}
}

func TestConfigRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"default", func(*Config) {}},
		{"everything changed", func(c *Config) {
			c.Node = NodeConfig{ID: 3, DataDir: "/var/lib/pompe", LogLevel: "debug", LogFormat: "json"}
			c.P2P.ListenPeer, c.P2P.ListenClient = "0.0.0.0:1", ":0"
			c.Consensus.FixedLeader = 0
			c.Consensus.ProposeDelay = Duration(3 * time.Millisecond)
			c.Pompe.TSWindow = Duration(150 * time.Microsecond)
			c.Storage.Sync = false
			c.Metrics.Listen = "127.0.0.1:26660"
			c.Emulation = EmulationConfig{Enabled: true, Seed: 42, Delay: Duration(time.Millisecond), Loss: 0.25,
				Links: map[string]LinkEmulation{"0": {Delay: Duration(time.Second), Jitter: Duration(time.Millisecond), Loss: 1}, "12": {Loss: 0.5}}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.edit(&c)
			data, err := EncodeConfig(c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseConfig(data)
			if err != nil {
				t.Fatalf("parse written config: %v\n%s", err, data)
			}
			if !reflect.DeepEqual(got, c) {
				t.Fatalf("round trip changed the config:\n got %+v\nwant %+v", got, c)
			}
		})
	}
}

func TestEmptyConfigTakesDefaults(t *testing.T) {
	c, err := ParseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("empty file gave %+v", c)
	}
}

func TestLinkInheritsDefaults(t *testing.T) {
	c, err := ParseConfig([]byte(`
[emulation]
delay = "10ms"
jitter = "2ms"
loss = 0.1
[emulation.links.2]
delay = "50ms"
`))
	if err != nil {
		t.Fatal(err)
	}
	want := LinkEmulation{Delay: Duration(50 * time.Millisecond), Jitter: Duration(2 * time.Millisecond), Loss: 0.1}
	if got := c.Emulation.Link(2); got != want {
		t.Fatalf("link 2 = %+v, want %+v", got, want)
	}
	if got := c.Emulation.Link(1); got.Delay != Duration(10*time.Millisecond) {
		t.Fatalf("link 1 = %+v, want the defaults", got)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		wants []string // substrings the error must contain
	}{
		{"unknown key", "[consensus]\nview_timout = \"1s\"\n", []string{"unknown key consensus.view_timout"}},
		{"unknown section", "[consensu]\nview_timeout = \"1s\"\n", []string{"unknown key consensu"}},
		{"duration without unit", "[consensus]\nview_timeout = 5\n", []string{"consensus.view_timeout", `"5"`}},
		{"duration garbage", "[pompe]\ndelta = \"soon\"\n", []string{"pompe.delta", `"soon"`}},
		{"wrong type", "[storage]\nsync = \"yes\"\n", []string{"storage.sync"}},
		{"syntax", "[consensus\n", []string{"line ", "table name"}},
		{"zero timeout", "[consensus]\nview_timeout = \"0s\"\n", []string{`consensus.view_timeout = "0s": must be positive`}},
		{"max below base", "[consensus]\nview_timeout_max = \"100ms\"\n", []string{`consensus.view_timeout_max = "100ms"`, "view_timeout"}},
		{"block over frame", "[p2p]\nmax_frame_bytes = 1000\n", []string{"consensus.block_max_bytes", "p2p.max_frame_bytes (1000)"}},
		{"log level", "[node]\nlog_level = \"loud\"\n", []string{`node.log_level = "loud"`}},
		{"log format", "[node]\nlog_format = \"xml\"\n", []string{`node.log_format = "xml"`}},
		{"bad id", "[node]\nid = -2\n", []string{"node.id = -2"}},
		{"ts window above delta", "[pompe]\nts_window = \"10ms\"\n", []string{`pompe.ts_window = "10ms"`, "pompe.delta"}},
		{"negative skew", "[pompe]\nclock_skew = \"-1ms\"\n", []string{`pompe.clock_skew = "-1ms"`}},
		{"backoff order", "[p2p]\ndial_backoff_max = \"1ms\"\n", []string{`p2p.dial_backoff_max = "1ms"`}},
		{"listen address", "[p2p]\nlisten_peer = \"localhost\"\n", []string{`p2p.listen_peer = "localhost"`}},
		{"metrics address", "[metrics]\nlisten = \"127.0.0.1:http\"\n", []string{"metrics.listen"}},
		{"loss above one", "[emulation]\nloss = 1.5\n", []string{"emulation.loss = 1.5"}},
		{"link key", "[emulation.links.a]\nloss = 0.5\n", []string{"[emulation.links.a]"}},
		{"link loss", "[emulation.links.1]\nloss = -0.5\n", []string{"emulation.links.1.loss = -0.5"}},
		{"retention", "[storage]\nretention_blocks = 0\n", []string{"storage.retention_blocks = 0"}},
		{"retention below the duplicate window", "[storage]\nretention_blocks = 100\n", []string{"storage.retention_blocks = 100", "at least 256"}},
		{"unsequenced bytes", "[pompe]\nmax_unsequenced_bytes = 0\n", []string{"pompe.max_unsequenced_bytes = 0"}},
		{"several at once", "[mempool]\nmax_batches = 0\nmax_bytes = -1\n", []string{"mempool.max_batches = 0", "mempool.max_bytes = -1"}},
		{"nul bytes", "\x00\x01", []string{"line 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.text))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// No input makes the parsers panic.
func TestParseNeverPanicsProperty(t *testing.T) {
	valid, err := EncodeConfig(Default())
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		data := append([]byte(nil), valid...)
		for range rapid.IntRange(0, 8).Draw(t, "edits") {
			i := rapid.IntRange(0, len(data)-1).Draw(t, "at")
			data[i] = rapid.Byte().Draw(t, "byte")
		}
		if rapid.Bool().Draw(t, "truncate") {
			data = data[:rapid.IntRange(0, len(data)).Draw(t, "len")]
		}
		_, _ = ParseConfig(data)
		_, _ = ParseGenesis(data)
	})
}

func TestDurationTextProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := Duration(rapid.Int64().Draw(t, "ns"))
		text, err := d.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsRune(string(text), 'µ') {
			t.Fatalf("%q is not ASCII", text)
		}
		var back Duration
		if err := back.UnmarshalText(text); err != nil {
			t.Fatalf("%q does not parse back: %v", text, err)
		}
		if back != d {
			t.Fatalf("%d -> %q -> %d", d, text, back)
		}
	})
}

// TestServesPprof: pprof is served on a loopback metrics listener by
// default and on any other only when metrics.pprof asks for it.
func TestServesPprof(t *testing.T) {
	loop := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 26660}
	loop6 := &net.TCPAddr{IP: net.IPv6loopback, Port: 26660}
	any4 := &net.TCPAddr{IP: net.IPv4zero, Port: 26660}
	lan := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 26660}
	for _, tc := range []struct {
		pprof string
		addr  net.Addr
		want  bool
	}{
		{Default().Metrics.Pprof, loop, true},
		{Default().Metrics.Pprof, loop6, true},
		{Default().Metrics.Pprof, any4, false},
		{Default().Metrics.Pprof, lan, false},
		{PprofAlways, any4, true},
		{PprofNever, loop, false},
		{PprofLoopback, &net.UnixAddr{Name: "/tmp/x", Net: "unix"}, false},
	} {
		if got := (MetricsConfig{Pprof: tc.pprof}).ServesPprof(tc.addr); got != tc.want {
			t.Errorf("pprof %q on %v: %v, want %v", tc.pprof, tc.addr, got, tc.want)
		}
	}
	c := Default()
	c.Metrics.Pprof = "yes"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "metrics.pprof") {
		t.Errorf("metrics.pprof = \"yes\": %v", err)
	}
}
