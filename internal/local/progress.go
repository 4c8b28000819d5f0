package local

import (
	"fmt"
	"io"
	"time"

	"github.com/pompe-bft/pompe/internal/loadgen"
)

// interactiveEvery is the refresh period of a progress line on a terminal.
const interactiveEvery = 250 * time.Millisecond

// progressLine formats one progress report; rates are over the interval
// since the previous report.
// The ordered rate is left out in hotstuff mode, which has no ordering
// phase.
func progressLine(p, prev loadgen.Progress, total time.Duration, ordering bool) string {
	dt := (p.Elapsed - prev.Elapsed).Seconds()
	rate := func(now, before uint64) float64 {
		if dt <= 0 || now < before {
			return 0
		}
		return float64(now-before) / dt
	}
	line := fmt.Sprintf("%5.1fs/%.0fs", min(p.Elapsed, total).Seconds(), total.Seconds())
	if ordering {
		line += fmt.Sprintf("  ordered %8.0f/s", rate(p.Ordered, prev.Ordered))
	}
	return line + fmt.Sprintf("  executed %8.0f/s  retries %d", rate(p.Executed, prev.Executed), p.Retries)
}

// reportProgress writes progress until stop is closed, then ends an
// interactive line with a newline.
func reportProgress(w io.Writer, interactive, ordering bool, every, total time.Duration, read func() loadgen.Progress, stop <-chan struct{}) {
	if interactive {
		every = interactiveEvery
	}
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	prev := read()
	for {
		select {
		case <-ticker.C:
			p := read()
			if p.Elapsed-prev.Elapsed < every/2 {
				continue // not started yet
			}
			line := progressLine(p, prev, total, ordering)
			prev = p
			if interactive {
				fmt.Fprintf(w, "\r\033[K%s", line)
			} else {
				fmt.Fprintln(w, line)
			}
		case <-stop:
			if interactive {
				fmt.Fprint(w, "\r\033[K")
			}
			return
		}
	}
}
