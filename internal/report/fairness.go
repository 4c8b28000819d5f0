package report

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pompe-bft/pompe/internal/fairness"
	"github.com/pompe-bft/pompe/internal/runlog"
)

// MaxFairnessCommands bounds the executed commands whose order one run's
// fairness measure holds in memory (about 40 bytes each).
const MaxFairnessCommands = 20_000_000

// FairnessOptions choose what the fairness measure reports.
type FairnessOptions struct {
	// Deltas are the send-time gaps reported (nil: fairness.DefaultDeltas).
	Deltas []time.Duration
	// Target picks the targeted clients (nil: fairness.EvenHashTarget).
	Target func(runlog.ClientID) bool
}

// Fairness is a run's fairness measure: over pairs of executed commands of
// different clients sent more than Δ apart (client send times), the
// fraction that executed in send order. See internal/fairness.
type Fairness struct {
	// Commands is the number of executed commands measured.
	Commands int              `json:"commands"`
	Points   []fairness.Point `json:"points,omitempty"`
	// Skipped says why there is no measure (no positions in the files,
	// too many commands); empty when there is one.
	Skipped string `json:"skipped,omitempty"`
}

// At returns the point measured at delta, if any.
func (f *Fairness) At(delta time.Duration) (fairness.Point, bool) {
	if f == nil {
		return fairness.Point{}, false
	}
	for _, p := range f.Points {
		if p.Delta == delta {
			return p, true
		}
	}
	return fairness.Point{}, false
}

// LoadFairness measures the fairness of the run in result directory dir
// (client records directly in dir or under run/).
func LoadFairness(dir string, o FairnessOptions) (*Fairness, error) {
	src, err := findSource(dir)
	if err != nil {
		return nil, err
	}
	return src.fairness(o)
}

// fairness reads the executed commands of every client record file. Only
// records know where a command executed; latency logs give no measure.
func (s *source) fairness(o FairnessOptions) (*Fairness, error) {
	if s.kind != FromRecords {
		return &Fairness{Skipped: "latency logs do not say where commands executed"}, nil
	}
	deltas, target := o.Deltas, o.Target
	if deltas == nil {
		deltas = fairness.DefaultDeltas
	}
	if target == nil {
		target = func(id runlog.ClientID) bool { return fairness.EvenHashTarget(id[:]) }
	}
	var cmds []fairness.Command
	clients := make(map[runlog.ClientID]uint32)
	targets := make(map[runlog.ClientID]bool)
	for _, path := range s.records {
		err := readExecuted(path, func(rec runlog.ClientRecord) error {
			if len(cmds) == MaxFairnessCommands {
				return errTooManyCommands
			}
			idx, ok := clients[rec.Client]
			if !ok {
				idx = uint32(len(clients))
				clients[rec.Client] = idx
				targets[rec.Client] = target(rec.Client)
			}
			cmds = append(cmds, fairness.Command{
				Client: idx, SentUs: rec.SentUs, Target: targets[rec.Client],
				Exec: fairness.Position{Height: rec.Height, Batch: rec.Position},
			})
			return nil
		})
		if errors.Is(err, errTooManyCommands) {
			return &Fairness{Skipped: fmt.Sprintf("more than %d executed commands", MaxFairnessCommands)}, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return &Fairness{Commands: len(cmds), Points: fairness.Measure(cmds, deltas)}, nil
}

var errTooManyCommands = errors.New("report: too many commands for the fairness measure")

// readExecuted streams the records of executed commands in one file. The
// batch position is all a record holds: a batch has one submitter, so two
// commands of different clients never share it.
func readExecuted(path string, f func(runlog.ClientRecord) error) error {
	return eachClientRecord(path, func(rec runlog.ClientRecord) error {
		if rec.ExecutedUs == 0 || rec.Height == 0 {
			return nil
		}
		return f(rec)
	})
}

// WriteFairness prints one fairness block per run that has a measure:
// per Δ, the pairs, the fraction in send order, and the fractions of the
// pairs where only the earlier or only the later command is targeted.
func (rep *Report) WriteFairness(w io.Writer) error {
	if !rep.hasFairness() {
		return nil
	}
	fmt.Fprintln(w, "\nfairness: pairs of commands of different clients sent more than Δ apart, fraction executed in send order")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tΔ ms\tpairs\tout of order\tin order\tearlier targeted\tlater targeted\t")
	for i, r := range rep.Runs {
		if r.Fairness == nil || r.Fairness.Skipped != "" {
			continue
		}
		name := fmt.Sprintf("%d %s", i+1, rep.FairnessLabel(r))
		for _, p := range r.Fairness.Points {
			fmt.Fprintf(tw, "%s\t%g\t%d\t%d\t%s\t%s\t%s\t\n", name, p.DeltaMs, p.All.Pairs, p.All.Pairs-p.All.InOrder,
				fractionText(p.All), fractionText(p.Targets.EarlierTargeted), fractionText(p.Targets.LaterTargeted))
			name = ""
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, r := range rep.Runs {
		if r.Fairness != nil && r.Fairness.Skipped != "" {
			fmt.Fprintf(w, "%d: no fairness measure: %s\n", i+1, r.Fairness.Skipped)
		}
	}
	return nil
}

// WriteFairnessMarkdown prints one Markdown table row per run: the
// fraction in send order at each Δ of the first run that has a measure,
// and the pair count at the largest.
func (rep *Report) WriteFairnessMarkdown(w io.Writer) error {
	if !rep.hasFairness() {
		return nil
	}
	var deltas []fairness.Point
	for _, r := range rep.Runs {
		if r.Fairness != nil && len(r.Fairness.Points) > 0 {
			deltas = r.Fairness.Points
			break
		}
	}
	var head, rule strings.Builder
	head.WriteString("| run | mode | commands |")
	rule.WriteString("|---|---|---:|")
	for _, p := range deltas {
		fmt.Fprintf(&head, " in order, Δ=%g ms | pairs, Δ=%g ms |", p.DeltaMs, p.DeltaMs)
		rule.WriteString("---:|---:|")
	}
	head.WriteString(" earlier targeted, Δ=10 ms |")
	rule.WriteString("---:|")
	fmt.Fprintf(w, "\n%s\n%s\n", head.String(), rule.String())
	for _, r := range rep.Runs {
		if r.Fairness == nil || r.Fairness.Skipped != "" {
			continue
		}
		var row strings.Builder
		fmt.Fprintf(&row, "| %s | %s | %d |", rep.FairnessLabel(r), r.Mode, r.Fairness.Commands)
		for _, d := range deltas {
			p, ok := r.Fairness.At(d.Delta)
			if !ok {
				row.WriteString(" - | - |")
				continue
			}
			fmt.Fprintf(&row, " %s | %d |", fractionText(p.All), p.All.Pairs)
		}
		targeted := "-"
		if p, ok := r.Fairness.At(10 * time.Millisecond); ok {
			targeted = fractionText(p.Targets.EarlierTargeted)
		}
		if _, err := fmt.Fprintf(w, "%s %s |\n", row.String(), targeted); err != nil {
			return err
		}
	}
	return nil
}

// FairnessLabel names r in fairness outputs: its label, followed by its
// directory's name when another run has the same label (runs that differ
// only by an attack do).
func (rep *Report) FairnessLabel(r *Run) string {
	for _, o := range rep.Runs {
		if o != r && o.Label == r.Label {
			return r.Label + " " + filepath.Base(filepath.Clean(r.Dir))
		}
	}
	return r.Label
}

func (rep *Report) hasFairness() bool {
	for _, r := range rep.Runs {
		if r.Fairness != nil {
			return true
		}
	}
	return false
}

// fractionText prints a fraction with enough digits to tell 0.9999 from 1,
// or "-" without pairs.
func fractionText(c fairness.Count) string {
	f, ok := c.Fraction()
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.4f", f)
}
