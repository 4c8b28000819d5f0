package local

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// replicaMetrics is what the resource sampler reads from a replica's
// metrics endpoint.
type replicaMetrics struct {
	goroutines             int
	peerSent, clientSent   uint64
	hasGoroutines, hasSent bool
	// work holds the per-view work counters (see workCounter); hasWork
	// is set once the page holds the views counter.
	work    [numWork]uint64
	hasWork bool
}

// workCounter indexes the counters that the per-view figures divide by
// the views a replica entered.
type workCounter int

const (
	workViews workCounter = iota
	workSyncs
	workSigned
	workVerified
	workPeerFrames
	numWork
)

// maxMetricsBytes bounds one scrape; a replica's page is tens of KiB.
const maxMetricsBytes = 4 << 20

// scrapeMetrics fetches http://addr/metrics.
func scrapeMetrics(ctx context.Context, hc *http.Client, addr string) (replicaMetrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return replicaMetrics{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return replicaMetrics{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return replicaMetrics{}, fmt.Errorf("local: metrics of %s: %s", addr, resp.Status)
	}
	return parseMetrics(io.LimitReader(resp.Body, maxMetricsBytes))
}

// parseMetrics reads the few series it needs from the Prometheus text
// format. Lines it does not know, comments included, are skipped.
func parseMetrics(r io.Reader) (replicaMetrics, error) {
	var m replicaMetrics
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, labels, value, ok := splitSample(line)
		if !ok {
			continue
		}
		switch name {
		case "go_goroutines":
			m.goroutines, m.hasGoroutines = int(value), true
		case "pompe_views_total":
			m.work[workViews], m.hasWork = uint64(value), true
		case "pompe_sync_seconds_count":
			m.work[workSyncs] = uint64(value)
		case "pompe_signatures_total":
			m.work[workSigned] = uint64(value)
		case "pompe_signature_checks_total":
			m.work[workVerified] = uint64(value)
		case "pompe_transport_frames_sent_total":
			// Frames to every peer; the "clients" link is not consensus work.
			if labelValue(labels, "peer") != "clients" {
				m.work[workPeerFrames] += uint64(value)
			}
		case "pompe_net_sent_bytes_total":
			switch labelValue(labels, "kind") {
			case "peer":
				m.peerSent, m.hasSent = uint64(value), true
			case "client":
				m.clientSent, m.hasSent = uint64(value), true
			}
		}
	}
	return m, sc.Err()
}

// splitSample splits `name{labels} value [timestamp]`.
func splitSample(line string) (name, labels string, value float64, ok bool) {
	rest := line
	if i := strings.IndexAny(line, "{ "); i < 0 {
		return "", "", 0, false
	} else if line[i] == '{' {
		j := strings.LastIndexByte(line, '}')
		if j < i {
			return "", "", 0, false
		}
		name, labels, rest = line[:i], line[i+1:j], line[j+1:]
	} else {
		name, rest = line[:i], line[i:]
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return "", "", 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil || math.IsNaN(v) || v < 0 {
		return "", "", 0, false
	}
	return name, labels, v, true
}

// labelValue finds key="value" in a label list; label values of these
// series hold no commas or quotes.
func labelValue(labels, key string) string {
	for kv := range strings.SplitSeq(labels, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.TrimSpace(k) == key {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}
