package local

import (
	"os"
	"testing"
)

func TestParseStatCPUTicks(t *testing.T) {
	rest := " S 1 2 3 4 5 6 7 8 9 10 170 30 0 0 20 0 12 0 100 2000 300"
	tests := []struct {
		stat    string
		want    uint64
		wantErr bool
	}{
		{"42 (pompe)" + rest, 200, false},
		{"42 (a b) c))" + rest, 200, false}, // a name with spaces and parentheses
		{"42 pompe" + rest, 0, true},
		{"42 (pompe) S 1 2", 0, true},
		{"42 (pompe) S 1 2 3 4 5 6 7 8 9 10 x 30", 0, true},
	}
	for _, tc := range tests {
		got, err := parseStatCPUTicks([]byte(tc.stat))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseStatCPUTicks(%q) = %d, %v; want %d, error %v", tc.stat, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestParseStatusRSS(t *testing.T) {
	tests := []struct {
		status  string
		want    uint64
		wantErr bool
	}{
		{"Name:\tpompe\nVmPeak:\t  9 kB\nVmRSS:\t   2048 kB\nThreads: 9\n", 2 << 20, false},
		{"Name:\tzombie\nState:\tZ\n", 0, false},
		{"VmRSS:\t2048 MB\n", 0, true},
		{"VmRSS:\tlots kB\n", 0, true},
	}
	for _, tc := range tests {
		got, err := parseStatusRSS([]byte(tc.status))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseStatusRSS(%q) = %d, %v; want %d, error %v", tc.status, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestReadProcStatsOfThisProcess(t *testing.T) {
	if !procStatsSupported {
		t.Skip("no /proc here")
	}
	_, rss, err := readProcStats(os.Getpid())
	if err != nil || rss == 0 {
		t.Fatalf("rss %d, err %v", rss, err)
	}
	if _, _, err := readProcStats(1 << 30); err == nil {
		t.Error("a process that does not exist was read")
	}
}
