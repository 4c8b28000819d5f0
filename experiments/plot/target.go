package main

import (
	"fmt"
	"io"
	"strconv"
)

// Derived fields: computed from a summary when the JSON does not hold them.
const (
	// netSentBytesPerS is what all replicas sent per second of the window,
	// from their last resource samples; it says whether an idle cluster is
	// silent, where bytes per command mean nothing.
	netSentBytesPerS = "net_sent_bytes_per_s"
	// rssGrowthMiB is the largest replica's resident memory at the end of
	// the window minus at its start.
	rssGrowthMiB = "replica_rss_growth_mib"
)

// derived computes a derived field; ok is false when its inputs are missing.
func (s summary) derived(path string) (float64, bool) {
	switch path {
	case netSentBytesPerS:
		window, ok := s.number("duration_s")
		if !ok || window <= 0 {
			return 0, false
		}
		replicas, isList := s.fields["resources"].([]any)
		if !isList || len(replicas) == 0 {
			return 0, false
		}
		var total float64
		for _, r := range replicas {
			last, ok := lastSampleBytes(r)
			if !ok {
				return 0, false
			}
			total += last
		}
		return total / window, true
	case rssGrowthMiB:
		start, sok := s.number("replica_rss_start_mib")
		end, eok := s.number("replica_rss_end_mib")
		return end - start, sok && eok
	}
	return 0, false
}

func lastSampleBytes(replica any) (float64, bool) {
	m, isMap := replica.(map[string]any)
	if !isMap {
		return 0, false
	}
	samples, isList := m["samples"].([]any)
	if !isList || len(samples) == 0 {
		return 0, false
	}
	last, isMap := samples[len(samples)-1].(map[string]any)
	if !isMap {
		return 0, false
	}
	v, isNum := last["net_sent_bytes"].(float64)
	return v, isNum
}

// writeTarget judges FIELD OP LIMIT over the summaries: for "<=" the
// largest value must stay at or below the limit, for ">=" the smallest at or
// above it. It prints the measured value and yes, no or "-" (not measured:
// no summary holds the field) separated by a tab.
func writeTarget(w io.Writer, runs []summary, field, op, limitText string) error {
	limit, err := parseTarget(op, limitText)
	if err != nil {
		return err
	}
	var worst float64
	found := false
	for _, r := range runs {
		v, ok := r.number(field)
		if !ok {
			continue
		}
		if !found || (op == "<=" && v > worst) || (op == ">=" && v < worst) {
			worst = v
		}
		found = true
	}
	if !found {
		_, err := fmt.Fprintf(w, "%s\t%s\n", missing, missing)
		return err
	}
	_, err = fmt.Fprintf(w, "%s\t%s\n", formatNumber(worst), verdict(op, worst, limit))
	return err
}

// writeRatio judges FIELD of one run divided by FIELD of another against
// OP LIMIT: "the Pompe run executes at least 0.8x what the HotStuff run at
// the same load does". It prints the ratio, the two values it came from and
// yes, no or "-" (either run lacks the field, or the divisor is not
// positive) separated by tabs.
func writeRatio(w io.Writer, numerator, denominator summary, field, op, limitText string) error {
	limit, err := parseTarget(op, limitText)
	if err != nil {
		return err
	}
	num, nok := numerator.number(field)
	den, dok := denominator.number(field)
	if !nok || !dok || den <= 0 {
		_, err := fmt.Fprintf(w, "%s\t%s\n", missing, missing)
		return err
	}
	ratio := num / den
	_, err = fmt.Fprintf(w, "%s (%s / %s)\t%s\n", formatNumber(ratio), formatNumber(num), formatNumber(den), verdict(op, ratio, limit))
	return err
}

func parseTarget(op, limitText string) (float64, error) {
	limit, err := strconv.ParseFloat(limitText, 64)
	if err != nil {
		return 0, fmt.Errorf("target limit %q: %w", limitText, err)
	}
	if op != "<=" && op != ">=" {
		return 0, fmt.Errorf("target operator %q: want <= or >=", op)
	}
	return limit, nil
}

func verdict(op string, v, limit float64) string {
	if (op == "<=" && v <= limit) || (op == ">=" && v >= limit) {
		return "yes"
	}
	return "no"
}
