package node

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
)

// TestPprofOnlyWhereAllowed: the metrics server serves /debug/pprof on a
// loopback listener by default, and on a listener others can reach (here
// 0.0.0.0) only with metrics.pprof = "always"; /metrics is always served.
func TestPprofOnlyWhereAllowed(t *testing.T) {
	for _, tc := range []struct {
		listenIP, pprof string
		want            int
	}{
		{"127.0.0.1", config.PprofLoopback, http.StatusOK},
		{"0.0.0.0", config.PprofLoopback, http.StatusNotFound},
		{"0.0.0.0", config.PprofAlways, http.StatusOK},
		{"127.0.0.1", config.PprofNever, http.StatusNotFound},
	} {
		t.Run(tc.listenIP+"/"+tc.pprof, func(t *testing.T) {
			homes, _ := writeCluster(t, 4, config.ModeHotStuff)
			h, err := config.Load(homes[0])
			if err != nil {
				t.Fatal(err)
			}
			port := strings.TrimPrefix(freePort(t, "127.0.0.1"), "127.0.0.1:")
			c := h.Config
			c.P2P.ListenPeer, c.P2P.ListenClient = "", ""
			c.Metrics.Listen = tc.listenIP + ":" + port
			c.Metrics.Pprof = tc.pprof
			if err := config.WriteConfig(h.Paths.Config, c); err != nil {
				t.Fatal(err)
			}
			r := startNode(t, homes[0])
			defer r.stop(t)
			get := func(path string) int {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				for {
					req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%s%s", port, path), nil)
					resp, err := http.DefaultClient.Do(req)
					if err == nil {
						resp.Body.Close()
						return resp.StatusCode
					}
					if ctx.Err() != nil {
						t.Fatalf("GET %s: %v", path, err)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			if code := get("/metrics"); code != http.StatusOK {
				t.Fatalf("/metrics: %d", code)
			}
			if code := get("/debug/pprof/"); code != tc.want {
				t.Fatalf("/debug/pprof/: %d, want %d", code, tc.want)
			}
		})
	}
	http.DefaultClient.CloseIdleConnections()
}
