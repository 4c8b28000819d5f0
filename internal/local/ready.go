package local

import (
	"context"
	"fmt"
	"net"
	"time"
)

// readyPollInterval is the pause between connection attempts.
const readyPollInterval = 50 * time.Millisecond

// waitReady returns once every replica accepts TCP connections on its
// client address, or fails when a replica exits first, ctx ends or timeout
// passes.
func waitReady(ctx context.Context, procs []*replicaProcess, clientAddrs []string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var dialer net.Dialer
	for i, addr := range clientAddrs {
		for {
			if procs[i].hasExited() {
				if err := procs[i].exitError(); err != nil {
					return err
				}
				return fmt.Errorf("local: replica %d exited during start-up", i)
			}
			attempt, stop := context.WithTimeout(ctx, time.Second)
			conn, err := dialer.DialContext(attempt, "tcp", addr)
			stop()
			if err == nil {
				conn.Close()
				break
			}
			select {
			case <-ctx.Done():
				if ctx.Err() == context.DeadlineExceeded {
					return fmt.Errorf("local: replica %d does not accept client connections on %s after %v: %w", i, addr, timeout, err)
				}
				return ctx.Err()
			case <-procs[i].exited:
			case <-time.After(readyPollInterval):
			}
		}
	}
	return nil
}
