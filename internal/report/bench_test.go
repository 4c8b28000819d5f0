package report

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/runlog"
)

const benchRecords = 1_000_000

// benchCommands is a 30 s Pompe run of a million commands.
func benchCommands() []runlog.ClientRecord {
	recs := make([]runlog.ClientRecord, benchRecords)
	const windowUs = 30_000_000
	for i := range recs {
		sent := t0 + int64(i)*windowUs/benchRecords
		recs[i] = runlog.ClientRecord{
			Seq: uint64(i + 1), SentUs: sent,
			SequencedUs: sent + 1_500 + int64(i%997),
			ExecutedUs:  sent + 40_000 + int64(i%10_007),
		}
	}
	return recs
}

// BenchmarkReportMillionRecords measures the computation alone: a million
// records through the window rule, the run's histograms and the timeline.
func BenchmarkReportMillionRecords(b *testing.B) {
	recs := benchCommands()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := &Run{Mode: config.ModePompe, WindowStartUs: t0, Totals: Totals{window: 30 * time.Second}}
		acc := newAccumulator(r, t0+30_000_000, Options{})
		for i := range recs {
			recordSamples(recs[i], acc.add)
		}
		acc.finish()
		if r.Executed == 0 {
			b.Fatal("nothing executed")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRecords), "ns/record")
}

// BenchmarkLoadMillionRecordsFromFile adds reading and parsing the JSON
// lines of the records file (about 200 MB, written once in a temporary
// directory).
func BenchmarkLoadMillionRecordsFromFile(b *testing.B) {
	dir := b.TempDir()
	w, err := runlog.CreateClientRecords(filepath.Join(dir, runlog.ClientRecordsName(0)))
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range benchCommands() {
		if err := w.Write(r); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	writeRunInfo(b, dir, runInfo(config.ModePompe, 1, 30_000_000))
	b.ResetTimer()
	for b.Loop() {
		rep, err := Load([]string{dir}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Combined.Executed == 0 {
			b.Fatal("nothing executed")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRecords), "ns/record")
}
