package latency

import (
	"math"
	"math/bits"
	"time"
)

// Histogram layout: values below 2^exactBits microseconds have a bucket
// each; above, every power of two is split into 2^(exactBits-1) buckets, so
// a percentile is off by less than 1/64 of its value.
const (
	exactBits        = 7
	exactBuckets     = 1 << exactBits
	subBuckets       = exactBuckets / 2
	histogramBuckets = exactBuckets + (64-exactBits)*subBuckets
)

// Histogram counts latencies in microseconds in a fixed amount of memory
// (about 30 KiB). The zero value is empty and ready to use. It is not
// safe for concurrent use.
type Histogram struct {
	counts [histogramBuckets]uint64
	n      uint64
	sumUs  float64
	maxUs  uint64
}

func bucketOf(us uint64) int {
	if us < exactBuckets {
		return int(us)
	}
	shift := bits.Len64(us) - exactBits
	top := us >> shift // in [subBuckets, exactBuckets)
	return exactBuckets + (shift-1)*subBuckets + int(top-subBuckets)
}

// bucketBounds returns the smallest and largest value of bucket i.
func bucketBounds(i int) (lo, hi uint64) {
	if i < exactBuckets {
		return uint64(i), uint64(i)
	}
	shift := (i-exactBuckets)/subBuckets + 1
	top := uint64((i-exactBuckets)%subBuckets + subBuckets)
	lo = top << shift
	return lo, lo + (1 << shift) - 1
}

// AddMicros counts one latency of us microseconds; a negative latency (a
// clock step) counts as zero.
func (h *Histogram) AddMicros(us int64) {
	v := uint64(max(us, 0))
	h.counts[bucketOf(v)]++
	h.n++
	h.sumUs += float64(v)
	h.maxUs = max(h.maxUs, v)
}

// Add counts d, truncated to whole microseconds.
func (h *Histogram) Add(d time.Duration) { h.AddMicros(d.Microseconds()) }

// Merge adds every sample of o to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sumUs += o.sumUs
	h.maxUs = max(h.maxUs, o.maxUs)
}

// Count is the number of samples.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest sample, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.maxUs) * time.Microsecond }

// Quantile returns the value below or at which a fraction q of the samples
// lie: the middle of the bucket holding the sample of rank ceil(q*n), or
// the exact maximum for the last rank.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	if rank == h.n {
		return h.Max()
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(h.representative(i)) * time.Microsecond
		}
	}
	return h.Max()
}

// representative is the value a percentile falling in bucket i reports.
func (h *Histogram) representative(i int) uint64 {
	lo, hi := bucketBounds(i)
	return min(lo+(hi-lo)/2, h.maxUs)
}

// Mean is the exact mean of the samples, to the nanosecond.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sumUs/float64(h.n)*1000) * time.Nanosecond
}

// CDF calls point for every non-empty bucket in increasing order with the
// bucket's representative value and the fraction of samples at or below
// it; the last point is the exact maximum with fraction 1.
func (h *Histogram) CDF(point func(value time.Duration, fraction float64)) {
	if h.n == 0 {
		return
	}
	var seen uint64
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		seen += c
		v := h.representative(i)
		if seen == h.n {
			v = h.maxUs
		}
		point(time.Duration(v)*time.Microsecond, float64(seen)/float64(h.n))
		if seen == h.n {
			return
		}
	}
}

// Summary is the usual digest of one phase's latencies.
type Summary struct {
	Count               uint64
	P50, P90, P99, Mean time.Duration
}

// Summary digests h.
func (h *Histogram) Summary() Summary {
	return Summary{
		Count: h.n,
		P50:   h.Quantile(0.50),
		P90:   h.Quantile(0.90),
		P99:   h.Quantile(0.99),
		Mean:  h.Mean(),
	}
}

// Millis is a Summary in milliseconds rounded to the microsecond, the form
// pompe prints and writes as JSON.
type Millis struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Mean float64 `json:"mean"`
}

// Millis converts s.
func (s Summary) Millis() Millis {
	ms := func(d time.Duration) float64 { return Round3(float64(d) / float64(time.Millisecond)) }
	return Millis{P50: ms(s.P50), P90: ms(s.P90), P99: ms(s.P99), Mean: ms(s.Mean)}
}

// Round3 rounds v to three decimals, as every printed rate and latency is.
func Round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// PerSecond is count over window, rounded like every printed rate; 0 for
// an empty window.
func PerSecond(count uint64, window time.Duration) float64 {
	if sec := window.Seconds(); sec > 0 {
		return Round3(float64(count) / sec)
	}
	return 0
}
