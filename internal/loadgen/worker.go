package loadgen

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/pompe-bft/pompe/internal/latency"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/pkg/client"
)

// busyRetryInterval is how soon a closed loop that found the client busy
// tries again if no completion wakes it first.
const busyRetryInterval = 5 * time.Millisecond

// worker is one client and its measurements. The submit side runs on the
// worker's goroutine; done runs on the client's callback goroutine, which
// alone touches the histograms and logs until the client is closed.
type worker struct {
	g        *Generator
	index    int
	cl       *client.Client
	records  *runlog.ClientRecordWriter
	orderLog *latencyLog // nil in hotstuff mode
	execLog  *latencyLog
	payloads *payloads

	outstanding atomic.Int64
	submitted   atomic.Uint64
	shed        atomic.Uint64
	wake        chan struct{}

	ordered, executed   uint64
	orderHist, execHist latency.Histogram
}

// submit hands one command to the client; false if the client refused it.
func (w *worker) submit() (bool, error) {
	w.outstanding.Add(1)
	if _, err := w.cl.Submit(w.payloads.nextPut(), w.done); err != nil {
		w.outstanding.Add(-1)
		return false, err
	}
	w.submitted.Add(1)
	return true, nil
}

// closedLoop keeps Inflight*BatchCommands commands pending until stop.
func (w *worker) closedLoop(stop <-chan struct{}) {
	target := int64(w.g.opts.Inflight * w.g.opts.BatchCommands)
	retry := time.NewTicker(busyRetryInterval)
	defer retry.Stop()
	for {
		for w.outstanding.Load() < target {
			ok, err := w.submit()
			if errors.Is(err, client.ErrClosed) {
				return
			}
			if !ok {
				break
			}
		}
		select {
		case <-w.wake:
		case <-retry.C:
		case <-stop:
			return
		}
	}
}

// openLoop submits RatePerClient commands per second, evenly spread; a
// command the client has no room for is shed, not delayed.
func (w *worker) openLoop(stop <-chan struct{}) {
	rate := w.g.opts.RatePerClient
	every := max(time.Duration(float64(time.Second)/rate), time.Millisecond)
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	start := time.Now()
	var sent uint64
	for {
		select {
		case now := <-ticker.C:
			due := uint64(now.Sub(start).Seconds() * rate)
			for ; sent < due; sent++ {
				ok, err := w.submit()
				if errors.Is(err, client.ErrClosed) {
					return
				}
				if !ok {
					w.shed.Add(1)
				}
			}
		case <-stop:
			return
		}
	}
}

// done measures one completed command. Phases that end after the window
// are not counted; neither are commands completed by Close.
//
// Times are taken in whole Unix microseconds, as the client records hold
// them, so that internal/report, reading the records, counts the same
// commands and the same latencies.
func (w *worker) done(o client.Outcome) {
	w.outstanding.Add(-1)
	endUs := w.g.windowEnd.Load() / int64(time.Microsecond)
	sentUs := o.SentAt.UnixMicro()
	// Ordering latency ends when the client saw 2f+1 acks, as in the
	// records; a command whose execution report came first has none.
	if w.orderLog != nil && !o.AckedAt.IsZero() && o.AckedAt.UnixMicro() <= endUs {
		latUs := o.AckedAt.UnixMicro() - sentUs
		w.ordered++
		w.orderHist.AddMicros(latUs)
		w.orderLog.write(o.AckedAt, time.Duration(latUs)*time.Microsecond)
	}
	if o.Err == nil && !o.ExecutedAt.IsZero() && o.ExecutedAt.UnixMicro() <= endUs {
		latUs := o.ExecutedAt.UnixMicro() - sentUs
		w.executed++
		w.execHist.AddMicros(latUs)
		w.execLog.write(o.ExecutedAt, time.Duration(latUs)*time.Microsecond)
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// close stops the client (pending commands complete unmeasured) and closes
// the files.
func (w *worker) close() error {
	var errs []error
	if w.cl != nil {
		errs = append(errs, w.cl.Close())
	}
	if w.records != nil {
		errs = append(errs, w.records.Close())
	}
	errs = append(errs, w.orderLog.close(), w.execLog.close())
	return errors.Join(errs...)
}
