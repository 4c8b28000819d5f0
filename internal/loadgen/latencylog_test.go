package loadgen

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

func TestLatencyLineMatchesReferenceFormat(t *testing.T) {
	at := time.Date(2024, 3, 9, 7, 5, 4, 123456789, time.Local)
	tests := []struct {
		latency time.Duration
		want    string
	}{
		{2345 * time.Microsecond, "2024-03-09 07:05:04.123456 [hotstuff info] 0.002345\n"},
		{0, "2024-03-09 07:05:04.123456 [hotstuff info] 0.000000\n"},
		{87*time.Millisecond + 400*time.Nanosecond, "2024-03-09 07:05:04.123456 [hotstuff info] 0.087000\n"},
		{12*time.Second + 5*time.Microsecond, "2024-03-09 07:05:04.123456 [hotstuff info] 12.000005\n"},
	}
	for _, tc := range tests {
		if got := string(appendLatencyLine(nil, at, tc.latency)); got != tc.want {
			t.Errorf("latency %v: got %q, want %q", tc.latency, got, tc.want)
		}
	}
}

func TestLatencyLogWritesLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), ExecLogName(3))
	l, err := createLatencyLog(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		l.write(time.Now(), time.Duration(i)*time.Millisecond)
	}
	if err := l.close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} \[hotstuff info\] \d+\.\d{6}$`)
	if got := len(line.FindAll(data, -1)); got != 3 {
		t.Errorf("%d reference-format lines in %q, want 3", got, data)
	}
	if filepath.Base(path) != "client3.exec.log" || OrderLogName(0) != "client0.order.log" {
		t.Errorf("unexpected log names %s, %s", filepath.Base(path), OrderLogName(0))
	}
}
