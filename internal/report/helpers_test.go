package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/loadgen"
	"github.com/pompe-bft/pompe/internal/runlog"
)

// t0 is an arbitrary window start, in Unix microseconds.
const t0 = int64(1_800_000_000_000_000)

// cmd is one synthetic command: sent, sequenced and executed offsets from
// t0 in microseconds (0 sequenced/executed: never).
type cmd struct{ sent, seq, exec int64 }

func writeRecords(t testing.TB, dir string, client int, cmds []cmd) {
	t.Helper()
	w, err := runlog.CreateClientRecords(filepath.Join(dir, runlog.ClientRecordsName(client)))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cmds {
		rec := runlog.ClientRecord{Seq: uint64(i + 1), SentUs: t0 + c.sent}
		rec.Client[0] = byte(client)
		if c.seq != 0 {
			rec.SequencedUs = t0 + c.seq
		}
		if c.exec != 0 {
			rec.ExecutedUs = t0 + c.exec
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeRunInfo(t testing.TB, dir string, ri loadgen.RunInfo) {
	t.Helper()
	data, err := json.Marshal(ri)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, loadgen.RunInfoName), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func runInfo(mode config.Mode, batch int, windowUs int64) loadgen.RunInfo {
	return loadgen.RunInfo{
		Mode: mode, Clients: 1, BatchCommands: batch, WindowStartUs: t0,
		WindowEndUs: t0 + windowUs, WindowNs: windowUs * 1000,
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
