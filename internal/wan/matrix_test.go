package wan

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/config"
)

const twoRegions = `
name = "two"
regions = ["a", "b"]
[local]
delay = "1ms"
[[links]]
from = "a"
to = "b"
delay = "10ms"
jitter = "1ms"
loss = 0.01
`

func TestParse(t *testing.T) {
	m, err := Parse([]byte(twoRegions))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from, to string
		want     Link
	}{
		{"a", "a", Link{Delay: time.Millisecond}},
		{"a", "b", Link{Delay: 10 * time.Millisecond, Jitter: time.Millisecond, Loss: 0.01}},
		{"b", "a", Link{Delay: 10 * time.Millisecond, Jitter: time.Millisecond, Loss: 0.01}},
	}
	for _, tc := range tests {
		got, err := m.Link(tc.from, tc.to)
		if err != nil || got != tc.want {
			t.Fatalf("Link(%s, %s) = %+v, %v; want %+v", tc.from, tc.to, got, err, tc.want)
		}
	}
	if _, err := m.Link("a", "c"); err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Fatalf("unknown region: %v", err)
	}
	if m.MaxOneWay() != 11*time.Millisecond {
		t.Fatalf("MaxOneWay = %v", m.MaxOneWay())
	}
}

func TestParseOneDirectionOverride(t *testing.T) {
	text := twoRegions + "[[links]]\nfrom = \"b\"\nto = \"a\"\ndelay = \"20ms\"\n"
	m, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	ab, _ := m.Link("a", "b")
	ba, _ := m.Link("b", "a")
	if ab.Delay != 10*time.Millisecond || ba.Delay != 20*time.Millisecond {
		t.Fatalf("a->b %v, b->a %v", ab.Delay, ba.Delay)
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"no regions", `name = "x"`, "regions"},
		{"duplicate region", `regions = ["a", "a"]`, "twice"},
		{"bad region", `regions = ["a b"]`, "letters"},
		{"missing pair", `regions = ["a", "b", "c"]` + "\n[[links]]\nfrom=\"a\"\nto=\"b\"\n", `nothing between "a" and "c"`},
		{"unknown region", `regions = ["a", "b"]` + "\n[[links]]\nfrom=\"a\"\nto=\"z\"\n", `"z"`},
		{"negative delay", `regions = ["a", "b"]` + "\n[[links]]\nfrom=\"a\"\nto=\"b\"\ndelay=\"-1ms\"\n", "delay"},
		{"loss 1", `regions = ["a", "b"]` + "\n[[links]]\nfrom=\"a\"\nto=\"b\"\nloss=1.0\n", "loss"},
		{"twice", `regions = ["a", "b"]` + "\n[[links]]\nfrom=\"a\"\nto=\"b\"\n[[links]]\nfrom=\"a\"\nto=\"b\"\n", "second link"},
		{"unknown key", `regions = ["a"]` + "\nlatency = 3\n", "unknown key latency"},
		{"bad duration", `regions = ["a"]` + "\n[local]\ndelay = \"soon\"\n", "soon"},
		{"garbage", `regions = [`, "expected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestShippedMatrices loads every file in wan/ and checks it is plausible:
// symmetric, and slower between regions than within one.
func TestShippedMatrices(t *testing.T) {
	files, err := filepath.Glob("../../wan/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped matrices: %v", err)
	}
	for _, path := range files {
		m, err := ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range m.Regions {
			local, _ := m.Link(a, a)
			for _, b := range m.Regions {
				ab, _ := m.Link(a, b)
				ba, _ := m.Link(b, a)
				if ab != ba {
					t.Fatalf("%s: %s->%s %+v differs from the way back %+v", path, a, b, ab, ba)
				}
				if a != b && ab.Delay <= local.Delay {
					t.Fatalf("%s: %s->%s is not slower than within %s", path, a, b, a)
				}
			}
		}
	}
	m, err := ReadFile("../../wan/four-regions.toml")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(m.Regions) != "[us-east us-west eu-west ap-northeast]" || m.Name != "four-regions" {
		t.Fatalf("four-regions.toml: %s %v", m.Name, m.Regions)
	}
}

func TestParseNeverPanics(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		text := rapid.StringOf(rapid.RuneFrom([]rune("regions=[]\"ab,\n[[links]]fromtodelay1ms-.# "))).Draw(t, "text")
		m, err := Parse([]byte(text))
		if err == nil {
			for _, a := range m.Regions {
				for _, b := range m.Regions {
					if _, err := m.Link(a, b); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	})
}

// TestEveryPairDefined builds random complete matrices (one direction per
// pair) and checks each ordered pair resolves to the given link.
func TestEveryPairDefined(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 6).Draw(t, "regions")
		var b strings.Builder
		b.WriteString("regions = [")
		for i := range n {
			fmt.Fprintf(&b, "%q,", fmt.Sprintf("r%d", i))
		}
		b.WriteString("]\n")
		want := map[[2]int]int{}
		for i := range n {
			for j := i + 1; j < n; j++ {
				ms := rapid.IntRange(0, 500).Draw(t, "ms")
				from, to := i, j
				if rapid.Bool().Draw(t, "reverse") {
					from, to = j, i
				}
				fmt.Fprintf(&b, "[[links]]\nfrom = \"r%d\"\nto = \"r%d\"\ndelay = \"%dms\"\n", from, to, ms)
				want[[2]int{i, j}], want[[2]int{j, i}] = ms, ms
			}
		}
		m, err := Parse([]byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		for pair, ms := range want {
			l, err := m.Link(fmt.Sprintf("r%d", pair[0]), fmt.Sprintf("r%d", pair[1]))
			if err != nil || l.Delay != time.Duration(ms)*time.Millisecond {
				t.Fatalf("%v: %+v %v, want %d ms", pair, l, err, ms)
			}
		}
	})
}

func TestAssign(t *testing.T) {
	m, _ := Parse([]byte(twoRegions))
	got, err := m.Assign([]string{"", "a", "b"}, 4)
	if err != nil || fmt.Sprint(got) != "[a a b b]" {
		t.Fatalf("Assign = %v, %v", got, err)
	}
	if _, err := m.Assign([]string{"mars"}, 2); err == nil || !strings.Contains(err.Error(), "mars") {
		t.Fatalf("unknown label: %v", err)
	}
}

func TestConfigureReplicaWritesLoadableConfig(t *testing.T) {
	m, err := ReadFile("../../wan/four-regions.toml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Place(nil, 6, 3, 42)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		c := config.Default()
		if err := p.ConfigureReplica(i, &c); err != nil {
			t.Fatal(err)
		}
		data, err := config.EncodeConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := config.ParseConfig(data)
		if err != nil {
			t.Fatalf("replica %d: %v\n%s", i, err, data)
		}
		if len(back.Emulation.Links) != 5 || !back.Emulation.Enabled {
			t.Fatalf("replica %d: %d links", i, len(back.Emulation.Links))
		}
		for peer := range 6 {
			if peer == i {
				continue
			}
			want, _ := m.Link(p.ReplicaRegions[i], p.ReplicaRegions[peer])
			if got := back.Emulation.Link(peer); got.Delay.Std() != want.Delay || got.Jitter.Std() != want.Jitter {
				t.Fatalf("replica %d -> %d: %+v, want %+v", i, peer, got, want)
			}
		}
		if back.Pompe.Delta.Std() < 2*m.MaxOneWay() || back.Consensus.ViewTimeout.Std() < 10*m.MaxOneWay() {
			t.Fatalf("replica %d: timing not tuned: delta %v view timeout %v", i, back.Pompe.Delta, back.Consensus.ViewTimeout)
		}
	}
}

func TestClientLinkCarriesRoundTrip(t *testing.T) {
	m, _ := Parse([]byte(twoRegions))
	s, err := m.ClientLink("a", "b")
	if err != nil {
		t.Fatal(err)
	}
	if s.Delay != 20*time.Millisecond || s.Jitter != 2*time.Millisecond || s.DropProbability < 0.0199 || s.DropProbability > 0.0200 {
		t.Fatalf("client link %+v", s)
	}
	p, _ := m.Place([]string{"a", "b"}, 2, 2, 1)
	em, err := p.ClientEmulator(1)
	if err != nil {
		t.Fatal(err)
	}
	if em.Link(1).Delay != 2*time.Millisecond || em.Link(0).Delay != 20*time.Millisecond {
		t.Fatalf("client 1 (region b): to 0 %v, to 1 %v", em.Link(0), em.Link(1))
	}
	if _, err := p.ClientEmulator(2); err == nil {
		t.Fatal("client beyond the placement")
	}
}
