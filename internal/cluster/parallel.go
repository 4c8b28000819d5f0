package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// HostError says which host failed at which step.
type HostError struct {
	Host, Step string
	Err        error
}

func (e *HostError) Error() string { return fmt.Sprintf("%s: %s: %v", e.Host, e.Step, e.Err) }
func (e *HostError) Unwrap() error { return e.Err }

// progressEvery is how often a long step lists the hosts still working.
const progressEvery = 5 * time.Second

// each runs f on every machine at once over its own SSH connection,
// printing one line per finished host and, while it lasts, which hosts
// are still working. The result joins every host's error.
func (c *Cluster) each(ctx context.Context, step string, ms []*machine, f func(ctx context.Context, cn *conn, m *machine) (string, error)) error {
	if len(ms) == 0 {
		return nil
	}
	var (
		mu      sync.Mutex
		pending = map[string]bool{}
		errs    []error
		done    int
		wg      sync.WaitGroup
	)
	for _, m := range ms {
		pending[m.Address] = true
	}
	start := time.Now()
	report := func(m *machine, detail string, err error) {
		mu.Lock()
		defer mu.Unlock()
		delete(pending, m.Address)
		done++
		took := time.Since(start).Round(100 * time.Millisecond)
		if err != nil {
			errs = append(errs, err)
			c.progress("%s [%d/%d] %s (%s): FAILED after %v: %v", step, done, len(ms), m.Address, m.describe(), took, errors.Unwrap(err))
			return
		}
		if detail != "" {
			detail = ": " + detail
		}
		c.progress("%s [%d/%d] %s (%s): ok in %v%s", step, done, len(ms), m.Address, m.describe(), took, detail)
	}
	for _, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cn, err := c.dial(ctx, m.Host)
			if err != nil {
				report(m, "", &HostError{Host: m.Address, Step: "ssh connect", Err: err})
				return
			}
			defer cn.Close()
			detail, err := f(ctx, cn, m)
			if err != nil {
				var he *HostError
				if !errors.As(err, &he) {
					err = &HostError{Host: m.Address, Step: step, Err: err}
				}
			}
			report(m, detail, err)
		}()
	}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				mu.Lock()
				var left []string
				for h := range pending {
					left = append(left, h)
				}
				mu.Unlock()
				sort.Strings(left)
				c.progress("%s: waiting for %d host(s): %s", step, len(left), strings.Join(left, " "))
			case <-stop:
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

func (c *Cluster) progress(format string, args ...any) {
	if c.o.Progress == nil {
		return
	}
	c.pmu.Lock()
	defer c.pmu.Unlock()
	fmt.Fprintf(c.o.Progress, format+"\n", args...)
}

// Options direct a Cluster's output.
type Options struct {
	// Progress receives one line per host and step (nil: silent).
	Progress io.Writer
}

// Cluster runs operations on an inventory's hosts.
type Cluster struct {
	inv *Inventory
	d   *dialer
	o   Options
	pmu sync.Mutex
}

// New prepares SSH access to the inventory's hosts (known_hosts is read
// now).
func New(inv *Inventory, o Options) (*Cluster, error) {
	d, err := newDialer(inv)
	if err != nil {
		return nil, err
	}
	return &Cluster{inv: inv, d: d, o: o}, nil
}

func (c *Cluster) dial(ctx context.Context, h Host) (*conn, error) { return c.d.dial(ctx, h) }
