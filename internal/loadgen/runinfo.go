package loadgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
)

// RunInfoName is the file, next to the client logs, that describes the
// run that wrote them: the load's parameters and the exact measured
// window. internal/report needs the window to count the same commands as
// the run's own summary.
const RunInfoName = "load.json"

// maxRunInfoBytes bounds what ReadRunInfo accepts.
const maxRunInfoBytes = 64 << 10

// RunInfo is the content of RunInfoName.
type RunInfo struct {
	Mode          config.Mode `json:"mode"`
	Replicas      int         `json:"replicas"`
	Clients       int         `json:"clients"`
	BatchCommands int         `json:"batch"`
	PayloadBytes  int         `json:"payload"`
	Inflight      int         `json:"inflight"`
	// OrderingWindow is Options.OrderingWindow (absent: 0, none).
	OrderingWindow int     `json:"ordering_window,omitempty"`
	RatePerClient  float64 `json:"rate_per_client"` // 0: closed loop
	FirstSeq       uint64  `json:"first_seq"`
	// WindowStartUs and WindowEndUs bound the measured window in Unix
	// microseconds: a phase counts if it ended at or before WindowEndUs
	// (both in whole microseconds). WindowNs is its exact length, the
	// divisor of every rate.
	WindowStartUs int64  `json:"window_start_us"`
	WindowEndUs   int64  `json:"window_end_us"`
	WindowNs      int64  `json:"window_ns"`
	Submitted     uint64 `json:"submitted"`
	Retries       uint64 `json:"retries"`
	Shed          uint64 `json:"shed"`
}

// Window is the measured window's length.
func (ri RunInfo) Window() time.Duration { return time.Duration(ri.WindowNs) }

func writeRunInfo(o Options, s Summary) error {
	end := s.Start.Add(s.Window)
	ri := RunInfo{
		Mode: o.Genesis.Mode, Replicas: len(o.Genesis.Replicas), Clients: s.Clients,
		BatchCommands: o.BatchCommands, PayloadBytes: o.PayloadBytes, Inflight: o.Inflight, OrderingWindow: o.OrderingWindow,
		RatePerClient: o.RatePerClient, FirstSeq: max(o.FirstSeq, 1),
		WindowStartUs: s.Start.UnixMicro(), WindowEndUs: end.UnixNano() / int64(time.Microsecond),
		WindowNs: int64(s.Window), Submitted: s.Submitted, Retries: s.Retries, Shed: s.Shed,
	}
	data, err := json.MarshalIndent(ri, "", "  ")
	if err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	if err := os.WriteFile(filepath.Join(o.OutDir, RunInfoName), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	return nil
}

// ReadRunInfo reads dir's RunInfoName; the error wraps os.ErrNotExist if
// there is none.
func ReadRunInfo(dir string) (RunInfo, error) {
	path := filepath.Join(dir, RunInfoName)
	f, err := os.Open(path)
	if err != nil {
		return RunInfo{}, fmt.Errorf("loadgen: %w", err)
	}
	defer f.Close()
	var ri RunInfo
	dec := json.NewDecoder(&limitedReader{f: f, left: maxRunInfoBytes})
	if err := dec.Decode(&ri); err != nil {
		return RunInfo{}, fmt.Errorf("loadgen: %s: %w", path, err)
	}
	if err := ri.validate(); err != nil {
		return RunInfo{}, fmt.Errorf("loadgen: %s: %w", path, err)
	}
	return ri, nil
}

func (ri RunInfo) validate() error {
	switch {
	case !ri.Mode.Valid():
		return fmt.Errorf("mode %q is neither %q nor %q", ri.Mode, config.ModePompe, config.ModeHotStuff)
	case ri.WindowNs < 0 || ri.WindowNs > int64(MaxDuration):
		return fmt.Errorf("window_ns %d out of range", ri.WindowNs)
	case ri.WindowEndUs < ri.WindowStartUs:
		return errors.New("window ends before it starts")
	}
	return nil
}

// limitedReader fails, instead of ending quietly, past its limit: a
// truncated JSON document would otherwise read as a confusing syntax
// error.
type limitedReader struct {
	f    *os.File
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, fmt.Errorf("file larger than %d bytes", maxRunInfoBytes)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.f.Read(p)
	l.left -= int64(n)
	return n, err
}
