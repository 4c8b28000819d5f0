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
	// Combined is every run's commands together (see Totals.DurationS
	// for its window), set only when all runs have the same known
	// Settings: one p50 over runs of different modes or loads would
	// describe none of them.
	Combined *Totals `json:"combined,omitempty"`
	// Groups, when the runs differ, combines each set of at least two runs
	// with the same known settings.
	Groups []Group `json:"groups,omitempty"`
	// NotCombined says why Combined is absent, for several runs.
	NotCombined string `json:"not_combined,omitempty"`
}

// Group is the combination of runs with equal settings.
type Group struct {
	Settings string `json:"settings"`
	Runs     []int  `json:"runs"` // 1-based, as in the table
	Totals
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
	key := combineKey(rep.Runs)
	same := key(rep.Runs[0]) != ""
	for _, r := range rep.Runs[1:] {
		same = same && key(r) == key(rep.Runs[0])
	}
	if same {
		rep.Combined = combined(rep.Runs)
		return
	}
	if len(rep.Runs) == 1 {
		rep.Combined = combined(rep.Runs) // one run is its own combination
		return
	}
	rep.NotCombined = "the runs differ in mode or load settings, or ran one after another with different numbers of clients (or some have no load.json to say), so they are not combined into one row"
	var order []string
	bySettings := map[string][]int{}
	for i, r := range rep.Runs {
		k := key(r)
		if k == "" {
			continue
		}
		if _, seen := bySettings[k]; !seen {
			order = append(order, k)
		}
		bySettings[k] = append(bySettings[k], i)
	}
	for _, key := range order {
		idx := bySettings[key]
		if len(idx) < 2 {
			continue
		}
		runs := make([]*Run, len(idx))
		g := Group{Settings: rep.Runs[idx[0]].Settings}
		for j, i := range idx {
			runs[j] = rep.Runs[i]
			g.Runs = append(g.Runs, i+1)
		}
		g.Totals = *combined(runs)
		rep.Groups = append(rep.Groups, g)
	}
}

// combineKey says which runs may share a combined row: those with equal
// settings. Runs whose windows all overlap loaded one cluster at the same
// time (several bench processes splitting its clients), so their client
// counts may differ; runs one after another are separate measurements, and
// merging a 4-client run with a 64-client one would give a p50 of neither,
// so there the number of clients is a setting too.
func combineKey(runs []*Run) func(*Run) string {
	concurrent := true
	var latestStart, earliestEnd int64
	for i, r := range runs {
		start, end := r.WindowStartUs, r.WindowStartUs+r.window.Microseconds()
		if !r.ExactWindow {
			concurrent = false
			break
		}
		if i == 0 || start > latestStart {
			latestStart = start
		}
		if i == 0 || end < earliestEnd {
			earliestEnd = end
		}
	}
	concurrent = concurrent && latestStart < earliestEnd
	return func(r *Run) string {
		if r.Settings == "" || concurrent {
			return r.Settings
		}
		return fmt.Sprintf("%s, %d clients", r.Settings, r.Clients)
	}
}

// combined merges the runs' histograms over the time their windows cover.
func combined(runs []*Run) *Totals {
	c := &Totals{orderHist: new(latency.Histogram), execHist: new(latency.Histogram)}
	spans := make([]span, 0, len(runs))
	for _, r := range runs {
		c.orderHist.Merge(r.orderHist)
		c.execHist.Merge(r.execHist)
		startNs := r.WindowStartUs * int64(time.Microsecond)
		spans = append(spans, span{startNs, startNs + int64(r.window)})
	}
	c.window = covered(spans)
	c.finish()
	return c
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
	if len(rep.Runs) > 1 && rep.Combined != nil {
		rows("combined", rep.Combined, rep.Combined.Ordered > 0)
	}
	for _, g := range rep.Groups {
		rows("combined "+joinRuns(g.Runs), &g.Totals, g.Ordered > 0)
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
	if len(rep.Runs) > 1 && rep.Combined != nil {
		fmt.Fprintf(w, "combined: %.1f s covered by at least one run (%s)\n", rep.Combined.DurationS, rep.Runs[0].Settings)
	}
	for _, g := range rep.Groups {
		fmt.Fprintf(w, "combined %s: %.1f s covered by at least one run (%s)\n", joinRuns(g.Runs), g.DurationS, g.Settings)
	}
	if rep.NotCombined != "" {
		fmt.Fprintf(w, "not combined: %s\n", rep.NotCombined)
	}
	return nil
}

func joinRuns(runs []int) string {
	s := ""
	for i, r := range runs {
		if i > 0 {
			s += "+"
		}
		s += fmt.Sprint(r)
	}
	return s
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
