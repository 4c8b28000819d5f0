package node

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pompe-bft/pompe/internal/transport"
)

// faults are the failures a test can inject into a running node through the
// fault-control endpoints (Options.FaultControl, never on by default): a
// clock offset, link emulation (delay, loss, partition) toward any peer, and
// a disk that reports itself full.
type faults struct {
	clockOffsetUs atomic.Int64
	diskFull      atomic.Bool
	em            *transport.LinkEmulator
}

// errDiskFull is what an injected full disk returns, like a real one.
var errDiskFull = fmt.Errorf("injected: %w", syscall.ENOSPC)

func (n *Node) now() int64 {
	return time.Now().UnixMicro() + n.faults.clockOffsetUs.Load()
}

// checkDisk fails writes while a full disk is injected.
func (n *Node) checkDisk() error {
	if n.faults.diskFull.Load() {
		return errDiskFull
	}
	return nil
}

// registerFaultControl adds the fault endpoints to the metrics mux:
//
//	POST /debug/fault/clock?offset=-3s          shift this node's clock
//	POST /debug/fault/link?peer=2&delay=50ms&jitter=5ms&loss=0.1&blocked=true (omitted parameters keep their value)
//	POST /debug/fault/disk-full?on=true
func (n *Node) registerFaultControl(mux *http.ServeMux) {
	mux.HandleFunc("/debug/fault/clock", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("offset"))
		if err != nil {
			http.Error(w, "offset: "+err.Error(), http.StatusBadRequest)
			return
		}
		n.faults.clockOffsetUs.Store(d.Microseconds())
		n.log.Warn("fault injected: clock offset", "offset", d)
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/debug/fault/link", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		peer, err := strconv.ParseUint(q.Get("peer"), 10, 32)
		if err != nil || int(peer) >= len(n.home.Genesis.Replicas) {
			http.Error(w, "peer: want a replica index", http.StatusBadRequest)
			return
		}
		// Parameters not given keep their current value, so that a loss
		// fault leaves an emulated wide-area delay in place.
		spec := n.faults.em.Link(uint32(peer))
		parse := func(key string, d *time.Duration) error {
			if v := q.Get(key); v != "" {
				x, err := time.ParseDuration(v)
				if err != nil {
					return fmt.Errorf("%s: %w", key, err)
				}
				*d = x
			}
			return nil
		}
		if err := errors.Join(parse("delay", &spec.Delay), parse("jitter", &spec.Jitter)); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if v := q.Get("loss"); v != "" {
			if spec.DropProbability, err = strconv.ParseFloat(v, 64); err != nil {
				http.Error(w, "loss: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		if err := n.faults.em.SetLink(uint32(peer), spec); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if q.Has("blocked") {
			n.faults.em.Partition(uint32(peer), q.Get("blocked") == "true")
		}
		n.log.Warn("fault injected: link", "peer", peer, "delay", spec.Delay, "loss", spec.DropProbability, "blocked", q.Get("blocked"))
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/debug/fault/disk-full", func(w http.ResponseWriter, r *http.Request) {
		on := r.URL.Query().Get("on") == "true"
		n.faults.diskFull.Store(on)
		n.log.Warn("fault injected: disk full", "on", on)
		fmt.Fprintln(w, "ok")
	})
}
