package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// maxSummaryBytes bounds one summary file: a summary is one line of a few
// kilobytes, so anything far larger is not one.
const maxSummaryBytes = 4 << 20

// summary is one run's JSON summary and the file it came from.
type summary struct {
	path   string
	fields map[string]any
}

// loadSummaries reads one JSON object from each path. An empty file (a run
// that died before printing) is an error naming the file.
func loadSummaries(paths []string) ([]summary, error) {
	if len(paths) == 0 {
		return nil, errors.New("no summary files given")
	}
	out := make([]summary, 0, len(paths))
	for _, p := range paths {
		s, err := loadSummary(p)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func loadSummary(path string) (summary, error) {
	st, err := os.Stat(path)
	if err != nil {
		return summary{}, err
	}
	if st.Size() > maxSummaryBytes {
		return summary{}, fmt.Errorf("%s: %d bytes, more than a summary can hold (%d)", path, st.Size(), maxSummaryBytes)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return summary{}, err
	}
	return parseSummary(path, raw)
}

// parseSummary takes the last non-empty line of raw: `pompe local --json`
// prints exactly one, but a captured stdout may carry a stray line before it.
func parseSummary(path string, raw []byte) (summary, error) {
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
	last := bytes.TrimSpace(lines[len(lines)-1])
	if len(last) == 0 {
		return summary{}, fmt.Errorf("%s: empty, no summary (did the run fail before printing one?)", path)
	}
	var fields map[string]any
	if err := json.Unmarshal(last, &fields); err != nil {
		return summary{}, fmt.Errorf("%s: not a JSON summary: %w", path, err)
	}
	return summary{path: path, fields: fields}, nil
}

// lookup finds a dotted path; ok is false when any step is missing or null.
// A HotStuff run has no ordering phase: its ordering fields (zeros in the
// summary) count as missing rather than as a zero latency or rate.
func (s summary) lookup(path string) (any, bool) {
	if isOrderingField(path) && s.fields["mode"] == "hotstuff" {
		return nil, false
	}
	var cur any = s.fields
	for _, part := range strings.Split(path, ".") {
		m, isMap := cur.(map[string]any)
		if !isMap {
			return nil, false
		}
		v, found := m[part]
		if !found || v == nil {
			return nil, false
		}
		cur = v
	}
	return cur, true
}

// number is a field as a finite float64; ok is false when it is missing or
// not a number.
func (s summary) number(path string) (float64, bool) {
	v, ok := s.lookup(path)
	if !ok {
		return s.derived(path)
	}
	f, isNum := v.(float64)
	if !isNum || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// text is a field formatted for a table cell, "-" when missing.
func (s summary) text(path string) string {
	v, ok := s.lookup(path)
	if !ok {
		if d, dok := s.derived(path); dok {
			return formatNumber(d)
		}
		return missing
	}
	switch x := v.(type) {
	case float64:
		if settingFields[path] {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return formatNumber(x)
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return missing
		}
		return string(b)
	}
}

// missing marks a field a summary does not hold.
const missing = "-"

// formatNumber prints integers as integers and other values with a
// precision that suits their size: 48,463 commands/s, 34.05 ms, 0.012 cores.
func formatNumber(v float64) string {
	abs := math.Abs(v)
	switch {
	case v == math.Trunc(v) && abs < 1e15, abs >= 100:
		return groupThousands(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	case abs >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

// groupThousands puts a comma between groups of three digits.
func groupThousands(digits string) string {
	sign := ""
	if strings.HasPrefix(digits, "-") {
		sign, digits = "-", digits[1:]
	}
	if len(digits) <= 3 {
		return sign + digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return sign + b.String()
}

// isOrderingField names the fields of Pompe's ordering phase.
func isOrderingField(path string) bool {
	top, _, _ := strings.Cut(path, ".")
	switch top {
	case "ordered", "ordered_per_s", "order_latency_ms":
		return true
	}
	return false
}

// settingFields name a run's settings: printed as given (batch 1000, not
// 1,000), since they are identifiers more than quantities.
var settingFields = map[string]bool{
	"nodes": true, "clients": true, "batch": true, "payload": true, "inflight": true,
}
