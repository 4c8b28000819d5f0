package faults

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name  string
		n     int
		f     []Fault
		wants string
	}{
		{"one crash", 4, []Fault{{At: time.Second, Duration: time.Second, Kind: Crash, Replicas: []int{1}}}, ""},
		{"two crashes in sequence", 4, []Fault{
			{At: time.Second, Duration: time.Second, Kind: Crash, Replicas: []int{1}},
			{At: 2 * time.Second, Duration: time.Second, Kind: Pause, Replicas: []int{2}}}, ""},
		{"two faulty at once", 4, []Fault{
			{At: time.Second, Duration: 2 * time.Second, Kind: Crash, Replicas: []int{1}},
			{At: 2 * time.Second, Duration: time.Second, Kind: Pause, Replicas: []int{2}}}, "tolerates 1"},
		{"same replica twice at once", 4, []Fault{
			{At: time.Second, Duration: 2 * time.Second, Kind: Clock, Replicas: []int{1}, ClockOffset: time.Second},
			{At: 2 * time.Second, Duration: time.Second, Kind: Pause, Replicas: []int{1}}}, ""},
		{"partition: majority side listed", 4, []Fault{{At: 0, Duration: time.Second, Kind: Partition, Replicas: []int{0, 1, 2}}}, ""},
		{"partition: halves", 4, []Fault{{At: 0, Duration: time.Second, Kind: Partition, Replicas: []int{0, 1}}}, "tolerates"},
		{"partition: everyone", 4, []Fault{{At: 0, Duration: time.Second, Kind: Partition, Replicas: []int{0, 1, 2, 3}}}, "both sides"},
		{"two of seven", 7, []Fault{{At: 0, Duration: time.Second, Kind: Crash, Replicas: []int{5, 6}}}, ""},
		{"unknown kind", 4, []Fault{{At: 0, Duration: time.Second, Kind: "flood", Replicas: []int{1}}}, "unknown kind"},
		{"replica out of range", 4, []Fault{{At: 0, Duration: time.Second, Kind: Crash, Replicas: []int{4}}}, "out of range"},
		{"repeated replica", 7, []Fault{{At: 0, Duration: time.Second, Kind: Crash, Replicas: []int{1, 1}}}, "repeated"},
		{"no replicas", 4, []Fault{{At: 0, Duration: time.Second, Kind: Crash}}, "no replicas"},
		{"zero duration", 4, []Fault{{At: 0, Kind: Crash, Replicas: []int{1}}}, "positive duration"},
		{"negative start", 4, []Fault{{At: -time.Second, Duration: time.Second, Kind: Crash, Replicas: []int{1}}}, "at >= 0"},
		{"clock without offset", 4, []Fault{{At: 0, Duration: time.Second, Kind: Clock, Replicas: []int{1}}}, "non-zero offset"},
		{"loss", 4, []Fault{{At: 0, Duration: time.Second, Kind: Loss, Replicas: []int{0}, LossRate: 0.3}}, ""},
		{"loss without rate", 4, []Fault{{At: 0, Duration: time.Second, Kind: Loss, Replicas: []int{0}}}, "loss rate"},
		{"loss rate above one", 4, []Fault{{At: 0, Duration: time.Second, Kind: Loss, Replicas: []int{0}, LossRate: 1.5}}, "loss rate"},
		{"clock offset too large", 4, []Fault{{At: 0, Duration: time.Second, Kind: Clock, Replicas: []int{1}, ClockOffset: 2 * time.Hour}}, "within"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Schedule{Faults: tc.f}.Validate(tc.n)
			switch {
			case tc.wants == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wants != "" && (err == nil || !strings.Contains(err.Error(), tc.wants)):
				t.Fatalf("error %v, want one mentioning %q", err, tc.wants)
			}
		})
	}
}

// TestValidateBoundsFaultyReplicas: a schedule Validate accepts never has
// more than f faulty replicas at any moment (checked at many instants).
func TestValidateBoundsFaultyReplicas(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.SampledFrom([]int{4, 7, 10}).Draw(t, "n")
		var s Schedule
		for range rapid.IntRange(1, 6).Draw(t, "faults") {
			s.Faults = append(s.Faults, Fault{
				At:          time.Duration(rapid.IntRange(0, 20).Draw(t, "at")) * time.Second,
				Duration:    time.Duration(rapid.IntRange(1, 8).Draw(t, "len")) * time.Second,
				Kind:        rapid.SampledFrom(Kinds).Draw(t, "kind"),
				Replicas:    []int{rapid.IntRange(0, n-1).Draw(t, "replica")},
				ClockOffset: time.Second,
			})
		}
		if s.Validate(n) != nil {
			return
		}
		for at := time.Duration(0); at < 30*time.Second; at += 250 * time.Millisecond {
			down := map[int]bool{}
			for _, f := range s.Faults {
				if f.At <= at && at < f.End() {
					for _, r := range f.faulty(n) {
						down[r] = true
					}
				}
			}
			if len(down) > (n-1)/3 {
				t.Fatalf("%d faulty at %v in an accepted schedule", len(down), at)
			}
		}
	})
}

func TestPresets(t *testing.T) {
	for _, n := range []int{4, 7} {
		for _, name := range Presets {
			for _, window := range []time.Duration{8 * time.Second, 30 * time.Second} {
				if name == "mixed" && window < 15*time.Second {
					continue
				}
				s, err := Preset(name, n, window)
				if err != nil {
					t.Fatalf("%s n=%d window %v: %v", name, n, window, err)
				}
				if s.End() >= window || s.Start() <= 0 {
					t.Fatalf("%s: faults %v..%v do not fit in %v with time before and after", name, s.Start(), s.End(), window)
				}
			}
		}
	}
	if s, _ := Preset("pause", 4, 10*time.Second); s.Faults[0].Replicas[0] != 0 {
		t.Error("pause must freeze replica 0, the first leader")
	}
	if s, _ := Preset("partition", 7, 10*time.Second); len(s.Faults[0].Replicas) != 2 {
		t.Errorf("partition of 7 cuts off %v, want f = 2 replicas", s.Faults[0].Replicas)
	}
	s, _ := Preset("mixed", 4, 30*time.Second)
	var kinds []Kind
	for _, f := range s.Faults {
		kinds = append(kinds, f.Kind)
	}
	if len(kinds) != len(Kinds) {
		t.Errorf("mixed runs %v, want every kind", kinds)
	}
	for _, bad := range []struct {
		name   string
		n      int
		window time.Duration
	}{{"crash", 3, 10 * time.Second}, {"flood", 4, 10 * time.Second}, {"mixed", 4, 3 * time.Second}} {
		if _, err := Preset(bad.name, bad.n, bad.window); err == nil {
			t.Errorf("preset %q n=%d window %v accepted", bad.name, bad.n, bad.window)
		}
	}
}

func TestParseSchedule(t *testing.T) {
	good := `
[[fault]]
at = "2s"
duration = "1500ms"
kind = "partition"
replicas = [3]

[[fault]]
at = "5s"
duration = "1s"
kind = "clock"
replica = 2
params = { offset = "-3s" }

[[fault]]
at = "7s"
duration = "1s"
kind = "loss"
replica = 0
params = { rate = 0.25 }
`
	s, err := ParseSchedule([]byte(good), 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []Fault{
		{At: 2 * time.Second, Duration: 1500 * time.Millisecond, Kind: Partition, Replicas: []int{3}},
		{At: 5 * time.Second, Duration: time.Second, Kind: Clock, Replicas: []int{2}, ClockOffset: -3 * time.Second},
	}
	if len(s.Faults) != 3 || s.Faults[2].Kind != Loss || s.Faults[2].LossRate != 0.25 || s.Faults[0].Kind != want[0].Kind || s.Faults[1].ClockOffset != want[1].ClockOffset || s.Faults[0].Duration != want[0].Duration {
		t.Fatalf("parsed %+v, want %+v", s.Faults, want)
	}
	bad := map[string]string{
		"unknown key":     "[[fault]]\nat = \"1s\"\nduration = \"1s\"\nkind = \"crash\"\nreplica = 1\ncolour = \"red\"\n",
		"both replica(s)": "[[fault]]\nat = \"1s\"\nduration = \"1s\"\nkind = \"crash\"\nreplica = 1\nreplicas = [2]\n",
		"rate on crash":   "[[fault]]\nat = \"1s\"\nduration = \"1s\"\nkind = \"crash\"\nreplica = 1\nparams = { rate = 0.5 }\n",
		"offset on crash": "[[fault]]\nat = \"1s\"\nduration = \"1s\"\nkind = \"crash\"\nreplica = 1\nparams = { offset = \"1s\" }\n",
		"bad duration":    "[[fault]]\nat = \"soon\"\nduration = \"1s\"\nkind = \"crash\"\nreplica = 1\n",
		"empty":           "",
		"too many faulty": "[[fault]]\nat = \"1s\"\nduration = \"5s\"\nkind = \"crash\"\nreplicas = [1, 2]\n",
	}
	for name, text := range bad {
		if _, err := ParseSchedule([]byte(text), 4); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.toml")
	if err := os.WriteFile(path, []byte("[[fault]]\nat = \"1s\"\nduration = \"1s\"\nkind = \"pause\"\nreplica = 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := Load(path, 4, 10*time.Second); err != nil || len(s.Faults) != 1 {
		t.Fatalf("file: %v %+v", err, s)
	}
	if _, err := Load(path, 4, 2*time.Second); err == nil || !strings.Contains(err.Error(), "recover") {
		t.Fatalf("schedule ending with the window accepted: %v", err)
	}
	if _, err := Load("crash", 4, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(dir, "missing.toml"), 4, 10*time.Second); err == nil || !strings.Contains(err.Error(), "preset") {
		t.Fatalf("missing file: %v", err)
	}
}
