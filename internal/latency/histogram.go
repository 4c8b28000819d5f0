package loadgen

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

// histogram counts latencies in microseconds in a fixed amount of memory.
type histogram struct {
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

func (h *histogram) add(d time.Duration) {
	us := uint64(max(d.Microseconds(), 0))
	h.counts[bucketOf(us)]++
	h.n++
	h.sumUs += float64(us)
	h.maxUs = max(h.maxUs, us)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sumUs += o.sumUs
	h.maxUs = max(h.maxUs, o.maxUs)
}

// quantile returns the value below or at which a fraction q of the samples
// lie: the middle of the bucket holding the sample of rank ceil(q*n), or
// the exact maximum for the last rank.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	if rank == h.n {
		return time.Duration(h.maxUs) * time.Microsecond
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketBounds(i)
			mid := min(lo+(hi-lo)/2, h.maxUs)
			return time.Duration(mid) * time.Microsecond
		}
	}
	return time.Duration(h.maxUs) * time.Microsecond
}

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sumUs/float64(h.n)*1000) * time.Nanosecond
}

// latency summarizes h.
func (h *histogram) latency() Latency {
	return Latency{
		Count: h.n,
		P50:   h.quantile(0.50),
		P90:   h.quantile(0.90),
		P99:   h.quantile(0.99),
		Mean:  h.mean(),
	}
}
