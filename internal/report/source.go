package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/loadgen"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// Where a result directory keeps its client files: `pompe local --out`
// puts them under run/, `pompe bench --out` directly in the directory.
var clientSubdirs = []string{"run", "."}

// maxClientFiles bounds the files one directory may contribute.
const maxClientFiles = 100_000

// SourceKind says which files a run was read from.
type SourceKind string

const (
	FromRecords     SourceKind = "records"      // clientN.records.jsonl
	FromLatencyLogs SourceKind = "latency logs" // clientN.order.log / clientN.exec.log
)

// source is the client files of one result directory.
type source struct {
	dir     string // where the client files are
	kind    SourceKind
	records []string // FromRecords
	order   []string // FromLatencyLogs
	exec    []string // FromLatencyLogs
	info    *loadgen.RunInfo
	mode    config.Mode
	batch   int
}

// findSource locates the client files of result directory dir.
func findSource(dir string) (*source, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("report: %s is not a directory", dir)
	}
	for _, sub := range clientSubdirs {
		s, err := scanDir(filepath.Join(dir, sub))
		if err != nil {
			return nil, err
		}
		if s == nil {
			continue
		}
		if err := s.describe(dir); err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("report: %s holds no client records (clientN.records.jsonl) or latency logs (clientN.exec.log), neither directly nor under run/", dir)
}

// scanDir returns the client files in dir, or nil if it has none.
func scanDir(dir string) (*source, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	s := &source{dir: dir}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		if _, ok := runlog.ParseClientRecordsName(name); ok {
			s.records = append(s.records, filepath.Join(dir, name))
		} else if _, ok := parseLatencyLogName(name, ".exec.log"); ok {
			s.exec = append(s.exec, filepath.Join(dir, name))
		} else if _, ok := parseLatencyLogName(name, ".order.log"); ok {
			s.order = append(s.order, filepath.Join(dir, name))
		}
	}
	switch {
	case len(s.records) > 0:
		s.kind, s.order, s.exec = FromRecords, nil, nil
	case len(s.exec) > 0 || len(s.order) > 0:
		s.kind = FromLatencyLogs
	default:
		return nil, nil
	}
	if n := len(s.records) + len(s.order) + len(s.exec); n > maxClientFiles {
		return nil, fmt.Errorf("report: %s holds %d client files, at most %d are read", dir, n, maxClientFiles)
	}
	for _, l := range [][]string{s.records, s.order, s.exec} {
		slices.Sort(l)
	}
	return s, nil
}

// parseLatencyLogName recognizes clientN<suffix>.
func parseLatencyLogName(name, suffix string) (int, bool) {
	digits, ok := strings.CutPrefix(name, "client")
	if !ok {
		return 0, false
	}
	if digits, ok = strings.CutSuffix(digits, suffix); !ok || digits == "" {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil && n >= 0 && strconv.Itoa(n) == digits
}

// describe reads what the directory says about its run: load.json next to
// the client files, else the testnet's mode, else what the files show.
func (s *source) describe(resultDir string) error {
	ri, err := loadgen.ReadRunInfo(s.dir)
	switch {
	case err == nil:
		s.info, s.mode, s.batch = &ri, ri.Mode, ri.BatchCommands
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("report: %w", err)
	}
	for _, tn := range []string{filepath.Join(resultDir, "testnet"), resultDir} {
		if ci, err := testnet.LoadClusterInfo(tn); err == nil {
			s.mode = ci.Genesis.Mode
			return nil
		}
	}
	// The files themselves: only Pompe has an ordering phase. Records
	// show it in their sequenced times, which the first pass reads.
	s.mode = config.ModeHotStuff
	if len(s.order) > 0 {
		s.mode = config.ModePompe
	}
	if s.kind == FromRecords {
		s.mode = ""
	}
	return nil
}
