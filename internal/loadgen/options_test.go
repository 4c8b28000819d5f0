package loadgen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
)

func TestOptionsValidate(t *testing.T) {
	key, err := crypto.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	good := func() Options {
		return Options{
			Genesis:    config.Genesis{Mode: config.ModeHotStuff},
			ClientKeys: []crypto.PrivateKey{key},
			OutDir:     t.TempDir(),
			Duration:   time.Second,
		}.withDefaults()
	}
	tests := []struct {
		name    string
		edit    func(o *Options)
		wantErr string
	}{
		{"defaults", func(o *Options) {}, ""},
		{"open loop", func(o *Options) { o.RatePerClient = 1000 }, ""},
		{"no clients", func(o *Options) { o.ClientKeys = nil }, "no clients"},
		{"no dir", func(o *Options) { o.OutDir = "" }, "output directory"},
		{"zero duration", func(o *Options) { o.Duration = 0 }, "duration"},
		{"inflight", func(o *Options) { o.Inflight = -1 }, "inflight"},
		{"rate", func(o *Options) { o.RatePerClient = -1 }, "rate"},
		{"batch", func(o *Options) { o.BatchCommands = -3 }, "batch"},
		{"tiny payload", func(o *Options) { o.PayloadBytes = 3 }, "payload"},
		{"huge payload", func(o *Options) { o.PayloadBytes = 1 << 30 }, "payload"},
		{"mode", func(o *Options) { o.Genesis.Mode = "paxos" }, "mode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := good()
			tc.edit(&o)
			err := o.validate()
			if tc.wantErr == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestMaxPendingIsBounded(t *testing.T) {
	tests := []struct {
		o    Options
		want int
	}{
		{Options{Inflight: 2, BatchCommands: 10}, 40},
		{Options{Inflight: 1, BatchCommands: 1, RatePerClient: 500}, 1000},
		{Options{Inflight: 10_000, BatchCommands: 4096}, maxPendingCommands},
	}
	for _, tc := range tests {
		if got := tc.o.maxPending(); got != tc.want {
			t.Errorf("%+v: maxPending = %d, want %d", tc.o, got, tc.want)
		}
	}
}

func TestReadRunInfoRefusesBadFiles(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"missing", "", "no such file"},
		{"not json", "mode = pompe", "invalid character"},
		{"bad mode", `{"mode":"raft"}`, `mode "raft"`},
		{"window backwards", `{"mode":"pompe","window_start_us":10,"window_end_us":5}`, "ends before"},
		{"negative window", `{"mode":"pompe","window_ns":-1}`, "window_ns"},
		{"too large", `{"mode":"pompe","x":"` + strings.Repeat("a", 70<<10) + `"}`, "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.content != "" {
				if err := os.WriteFile(filepath.Join(dir, RunInfoName), []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := ReadRunInfo(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
