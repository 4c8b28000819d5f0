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
func progressLine(p, prev loadgen.Progress, total time.Duration) string {
	dt := (p.Elapsed - prev.Elapsed).Seconds()
	rate := func(now, before uint64) float64 {
		if dt <= 0 || now < before {
			return 0
		}
		return float64(now-before) / dt
	}
	return fmt.Sprintf("%5.1fs/%.0fs  ordered %8.0f/s  executed %8.0f/s  retries %d",
		min(p.Elapsed, total).Seconds(), total.Seconds(),
		rate(p.Ordered, prev.Ordered), rate(p.Executed, prev.Executed), p.Retries)
}

// reportProgress writes progress until stop is closed, then ends an
// interactive line with a newline.
func reportProgress(w io.Writer, interactive bool, every, total time.Duration, read func() loadgen.Progress, stop <-chan struct{}) {
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
			line := progressLine(p, prev, total)
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
