package faults

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Cluster is the running cluster a schedule acts on.
type Cluster interface {
	// N is the number of replicas.
	N() int
	// Kill sends SIGKILL to the replica's process and returns once it is
	// gone.
	Kill(replica int) error
	// Restart starts a replica whose process is gone, from its home.
	Restart(replica int) error
	// Pause and Resume send SIGSTOP and SIGCONT to the replica's process.
	Pause(replica int) error
	Resume(replica int) error
	// Exited is closed when the replica's current process has exited.
	Exited(replica int) <-chan struct{}
	// ControlAddr is the host:port of the replica's fault-control
	// endpoints (its metrics address).
	ControlAddr(replica int) string
}

// controlTimeout bounds one fault-control request; controlAttempts is how
// often it is tried (a replica busy restarting may refuse the first).
const (
	controlTimeout  = 2 * time.Second
	controlAttempts = 3
	maxReplyBytes   = 4 << 10
)

// post calls one fault-control endpoint of a replica.
func post(ctx context.Context, addr, path string, query url.Values) error {
	u := url.URL{Scheme: "http", Host: addr, Path: path, RawQuery: query.Encode()}
	var last error
	for attempt := range controlAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		last = postOnce(ctx, u.String())
		if last == nil {
			return nil
		}
	}
	return last
}

func postOnce(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("faults: %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("faults: %s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
