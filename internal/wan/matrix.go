package wan

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/pompe-bft/pompe/internal/config"
)

// Bounds of a matrix file.
const (
	MaxFileBytes   = 1 << 20
	MaxRegions     = 64
	MaxDelay       = 10 * time.Second
	maxRegionBytes = 64
)

// Link is the emulation of one direction between two regions.
type Link struct {
	Delay  time.Duration // one-way
	Jitter time.Duration // the delay varies uniformly in [Delay-Jitter, Delay+Jitter]
	Loss   float64       // drop probability, 0..1
}

// Matrix holds a link for every ordered pair of regions, the diagonal
// (within one region) included.
type Matrix struct {
	Name    string
	Regions []string
	links   [][]Link // links[from][to]
}

// fileLink is one [[links]] entry. A link given in one direction applies
// to both unless the other direction has an entry of its own.
type fileLink struct {
	From   string          `toml:"from"`
	To     string          `toml:"to"`
	Delay  config.Duration `toml:"delay"`
	Jitter config.Duration `toml:"jitter"`
	Loss   float64         `toml:"loss"`
}

type fileLocal struct {
	Delay  config.Duration `toml:"delay"`
	Jitter config.Duration `toml:"jitter"`
	Loss   float64         `toml:"loss"`
}

type file struct {
	Name    string     `toml:"name"`
	Regions []string   `toml:"regions"`
	Local   fileLocal  `toml:"local"`
	Links   []fileLink `toml:"links"`
}

// ReadFile reads and checks a matrix file.
func ReadFile(path string) (*Matrix, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("wan: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("wan: %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("wan: %s is larger than %d bytes", path, MaxFileBytes)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("wan: %s: %w", path, err)
	}
	if m.Name == "" {
		m.Name = strings.TrimSuffix(filepath.Base(path), ".toml")
	}
	return m, nil
}

// MaxMatrixBytes bounds a latency matrix file: a thousand regions' links
// are far below it.
const MaxMatrixBytes = 1 << 20

// Parse decodes matrix file text:
//
//	name = "four-regions"
//	regions = ["us-east", "eu-west"]
//	[local]                      # within one region (default: perfect)
//	delay = "0.5ms"
//	[[links]]                    # every pair of distinct regions, once
//	from = "us-east"
//	to = "eu-west"
//	delay = "35ms"               # one-way
//	jitter = "1ms"
//	loss = 0.0
func Parse(data []byte) (*Matrix, error) {
	if len(data) > MaxMatrixBytes {
		return nil, fmt.Errorf("latency matrix of %d bytes, at most %d", len(data), MaxMatrixBytes)
	}
	// The shape check bounds the TOML parser's work before it runs, as for
	// every file a replica or tool reads (config.CheckTOML).
	if err := config.CheckTOML(data); err != nil {
		return nil, err
	}
	var f file
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "toml: "))
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("unknown key %s", und[0])
	}
	if len(f.Regions) == 0 || len(f.Regions) > MaxRegions {
		return nil, fmt.Errorf("regions: %d listed, want 1..%d", len(f.Regions), MaxRegions)
	}
	index := map[string]int{}
	for i, r := range f.Regions {
		if err := checkRegionName(r); err != nil {
			return nil, fmt.Errorf("regions[%d]: %w", i, err)
		}
		if _, dup := index[r]; dup {
			return nil, fmt.Errorf("regions[%d]: %q is listed twice", i, r)
		}
		index[r] = i
	}
	local := Link{Delay: f.Local.Delay.Std(), Jitter: f.Local.Jitter.Std(), Loss: f.Local.Loss}
	if err := local.check(); err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	n := len(f.Regions)
	given := make([][]bool, n)
	links := make([][]Link, n)
	for i := range n {
		given[i] = make([]bool, n)
		links[i] = make([]Link, n)
		links[i][i] = local
	}
	for k, fl := range f.Links {
		from, okFrom := index[fl.From]
		to, okTo := index[fl.To]
		if !okFrom || !okTo {
			return nil, fmt.Errorf("links[%d]: from %q to %q: both must be listed in regions", k, fl.From, fl.To)
		}
		if given[from][to] {
			return nil, fmt.Errorf("links[%d]: a second link from %q to %q", k, fl.From, fl.To)
		}
		l := Link{Delay: fl.Delay.Std(), Jitter: fl.Jitter.Std(), Loss: fl.Loss}
		if err := l.check(); err != nil {
			return nil, fmt.Errorf("links[%d] (%s -> %s): %w", k, fl.From, fl.To, err)
		}
		given[from][to] = true
		links[from][to] = l
		if !given[to][from] {
			links[to][from] = l
		}
	}
	for i := range n {
		for j := range n {
			if i != j && !given[i][j] && !given[j][i] {
				return nil, fmt.Errorf("links: nothing between %q and %q; every pair of regions needs a [[links]] entry", f.Regions[i], f.Regions[j])
			}
		}
	}
	return &Matrix{Name: f.Name, Regions: slices.Clone(f.Regions), links: links}, nil
}

func (l Link) check() error {
	switch {
	case l.Delay < 0 || l.Delay > MaxDelay:
		return fmt.Errorf("delay %v: want 0..%v", l.Delay, MaxDelay)
	case l.Jitter < 0 || l.Jitter > MaxDelay:
		return fmt.Errorf("jitter %v: want 0..%v", l.Jitter, MaxDelay)
	case math.IsNaN(l.Loss) || l.Loss < 0 || l.Loss >= 1:
		return fmt.Errorf("loss %v: want a probability in [0, 1)", l.Loss)
	}
	return nil
}

func checkRegionName(s string) error {
	if s == "" || len(s) > maxRegionBytes {
		return fmt.Errorf("region %q: want 1..%d bytes", s, maxRegionBytes)
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return fmt.Errorf("region %q: use letters, digits, '-' and '_'", s)
		}
	}
	return nil
}

// Region returns the index of a region name.
func (m *Matrix) Region(name string) (int, bool) {
	i := slices.Index(m.Regions, name)
	return i, i >= 0
}

// Link returns the link from one region to another.
func (m *Matrix) Link(from, to string) (Link, error) {
	i, ok := m.Region(from)
	if !ok {
		return Link{}, m.unknown(from)
	}
	j, ok := m.Region(to)
	if !ok {
		return Link{}, m.unknown(to)
	}
	return m.links[i][j], nil
}

func (m *Matrix) unknown(region string) error {
	return fmt.Errorf("wan: region %q is not in matrix %s (regions %q)", region, m.Name, m.Regions)
}

// MaxOneWay is the largest delay plus jitter of any link.
func (m *Matrix) MaxOneWay() time.Duration {
	var d time.Duration
	for _, row := range m.links {
		for _, l := range row {
			d = max(d, l.Delay+l.Jitter)
		}
	}
	return d
}

// RoundRobin places n members in the matrix's regions in turn.
func (m *Matrix) RoundRobin(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = m.Regions[i%len(m.Regions)]
	}
	return out
}

// Assign completes a placement: labels[i] names member i's region, and an
// empty label takes the matrix's regions round robin. Unknown labels are
// an error. Without labels (nil), n members go round robin.
func (m *Matrix) Assign(labels []string, n int) ([]string, error) {
	out := m.RoundRobin(n)
	for i, l := range labels {
		if i >= n || l == "" {
			continue
		}
		if _, ok := m.Region(l); !ok {
			return nil, fmt.Errorf("member %d: %w", i, m.unknown(l))
		}
		out[i] = l
	}
	return out, nil
}
