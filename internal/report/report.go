package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/latency"
)

// MaxDirs bounds the directories one report aggregates.
const MaxDirs = 1000

// Report aggregates result directories.
type Report struct {
	Runs []*Run `json:"runs"`
	// Combined is every run's commands together; see Totals.DurationS for
	// its window.
	Combined Totals `json:"combined"`
}

// Load reads every directory; it fails on the first one it cannot read.
func Load(dirs []string, o Options) (*Report, error) {
	if len(dirs) == 0 {
		return nil, errors.New("report: no result directory given")
	}
	if len(dirs) > MaxDirs {
		return nil, fmt.Errorf("report: %d directories, at most %d", len(dirs), MaxDirs)
	}
	rep := &Report{}
	for _, dir := range dirs {
		r, err := loadRun(dir, o)
		if err != nil {
			return nil, err
		}
		rep.Runs = append(rep.Runs, r)
	}
	rep.combine()
	return rep, nil
}

func (rep *Report) combine() {
	c := Totals{orderHist: new(latency.Histogram), execHist: new(latency.Histogram)}
	spans := make([]span, 0, len(rep.Runs))
	for _, r := range rep.Runs {
		c.orderHist.Merge(r.orderHist)
		c.execHist.Merge(r.execHist)
		startNs := r.WindowStartUs * int64(time.Microsecond)
		spans = append(spans, span{startNs, startNs + int64(r.window)})
	}
	c.window = covered(spans)
	c.finish()
	rep.Combined = c
}

// span is a window in Unix nanoseconds.
type span struct{ from, to int64 }

// covered is the time covered by at least one span.
func covered(spans []span) time.Duration {
	slices.SortFunc(spans, func(a, b span) int {
		switch {
		case a.from < b.from:
			return -1
		case a.from > b.from:
			return 1
		}
		return 0
	})
	var total int64
	curFrom, curTo := int64(0), int64(0)
	for i, s := range spans {
		if i == 0 || s.from > curTo {
			total += curTo - curFrom
			curFrom, curTo = s.from, s.to
			continue
		}
		curTo = max(curTo, s.to)
	}
	total += curTo - curFrom
	return time.Duration(total)
}

// Modes lists the modes of the runs, Pompe first.
func (rep *Report) Modes() []config.Mode {
	var modes []config.Mode
	for _, m := range []config.Mode{config.ModePompe, config.ModeHotStuff} {
		if slices.ContainsFunc(rep.Runs, func(r *Run) bool { return r.Mode == m }) {
			modes = append(modes, m)
		}
	}
	return modes
}

// JSON is the report as one line of JSON, without a newline.
func (rep *Report) JSON() ([]byte, error) { return json.Marshal(rep) }

// WriteTable prints the report for people: one block per run, then the
// combined totals when there are several runs.
func (rep *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tphase\tcommands\tper s\tp50 ms\tp90 ms\tp99 ms\tmean ms\t")
	row := func(name, phase string, n uint64, perS float64, l latency.Millis) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", name, phase, n, perS, l.P50, l.P90, l.P99, l.Mean)
	}
	rows := func(name string, t *Totals, ordering bool) {
		if ordering {
			row(name, "ordering", t.Ordered, t.OrderedPerS, t.OrderLatencyMs)
			name = ""
		}
		row(name, "execution", t.Executed, t.ExecutedPerS, t.ExecLatencyMs)
	}
	for i, r := range rep.Runs {
		rows(fmt.Sprintf("%d %s", i+1, r.Label), &r.Totals, r.Mode == config.ModePompe)
	}
	if len(rep.Runs) > 1 {
		rows("combined", &rep.Combined, rep.Combined.Ordered > 0)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, r := range rep.Runs {
		window := "window from load.json"
		if !r.ExactWindow {
			window = "window from first send to last completion"
		}
		fmt.Fprintf(w, "%d: %s (%s, %d client files, %.1f s, %s)\n", i+1, r.Dir, r.Source, r.Clients, r.DurationS, window)
	}
	if len(rep.Runs) > 1 {
		fmt.Fprintf(w, "combined: %.1f s covered by at least one run\n", rep.Combined.DurationS)
	}
	return nil
}

// WriteMarkdown prints one table row per run: mode, batch, rates and
// p50/p99 latencies, for reports kept in the repository.
func (rep *Report) WriteMarkdown(w io.Writer) error {
	fmt.Fprintln(w, "| mode | batch | clients | duration s | executed/s | ordered/s | exec p50 ms | exec p99 ms | order p50 ms | order p99 ms |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rep.Runs {
		batch, ordered, op50, op99 := "?", "-", "-", "-"
		if r.Batch > 0 {
			batch = fmt.Sprint(r.Batch)
		}
		if r.Mode == config.ModePompe {
			ordered = fmt.Sprintf("%.0f", r.OrderedPerS)
			op50, op99 = fmt.Sprintf("%.2f", r.OrderLatencyMs.P50), fmt.Sprintf("%.2f", r.OrderLatencyMs.P99)
		}
		_, err := fmt.Fprintf(w, "| %s | %s | %d | %.1f | %.0f | %s | %.2f | %.2f | %s | %s |\n",
			r.Mode, batch, r.Clients, r.DurationS, r.ExecutedPerS, ordered, r.ExecLatencyMs.P50, r.ExecLatencyMs.P99, op50, op99)
		if err != nil {
			return err
		}
	}
	return nil
}
