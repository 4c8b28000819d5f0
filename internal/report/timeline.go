package report

import (
	"time"

	"github.com/pompe-bft/pompe/internal/latency"
)

// MaxTimeBuckets bounds a run's timeline: runs up to this many seconds get
// one bucket per second, longer ones buckets of 2, 4, 8... seconds.
const MaxTimeBuckets = 300

// Timeline is a run's throughput and latency over its window.
type Timeline struct {
	BucketS float64  `json:"bucket_s"`
	Buckets []Bucket `json:"buckets"`
}

// Bucket is one stretch of a run: the phases that ended in it, their rate
// over the bucket's length (the last bucket may be up to half a bucket
// longer or shorter than the others) and their latencies.
type Bucket struct {
	StartS       float64 `json:"start_s"`
	LengthS      float64 `json:"length_s"`
	Ordered      uint64  `json:"ordered"`
	Executed     uint64  `json:"executed"`
	OrderedPerS  float64 `json:"ordered_per_s"`
	ExecutedPerS float64 `json:"executed_per_s"`
	OrderP50Ms   float64 `json:"order_p50_ms"`
	OrderP99Ms   float64 `json:"order_p99_ms"`
	ExecP50Ms    float64 `json:"exec_p50_ms"`
	ExecP99Ms    float64 `json:"exec_p99_ms"`
}

// timeline accumulates samples into buckets; histograms are made only for
// buckets that receive samples.
type timeline struct {
	startUs  int64
	bucketUs int64
	windowUs int64
	order    []*latency.Histogram
	exec     []*latency.Histogram
}

func newTimeline(startUs, windowUs int64, maxBuckets int) *timeline {
	bucketUs := int64(time.Second / time.Microsecond)
	for windowUs/bucketUs > int64(maxBuckets) {
		bucketUs *= 2
	}
	// The last bucket absorbs a remainder under half a bucket rather than
	// showing a rate measured over a sliver of time.
	n := max(int((windowUs+bucketUs/2)/bucketUs), 1)
	return &timeline{
		startUs: startUs, bucketUs: bucketUs, windowUs: windowUs,
		order: make([]*latency.Histogram, n), exec: make([]*latency.Histogram, n),
	}
}

func (t *timeline) add(s sample) {
	i := int(min(max((s.endUs-t.startUs)/t.bucketUs, 0), int64(len(t.exec)-1)))
	hs := t.exec
	if s.phase == Ordering {
		hs = t.order
	}
	if hs[i] == nil {
		hs[i] = new(latency.Histogram)
	}
	hs[i].AddMicros(s.latUs)
}

// result digests the buckets (and frees their histograms).
func (t *timeline) result() Timeline {
	out := Timeline{BucketS: float64(t.bucketUs) / 1e6, Buckets: make([]Bucket, len(t.exec))}
	for i := range out.Buckets {
		lengthUs := t.bucketUs
		if i == len(out.Buckets)-1 {
			lengthUs = max(t.windowUs-int64(i)*t.bucketUs, 1)
		}
		length := time.Duration(lengthUs) * time.Microsecond
		b := Bucket{StartS: float64(int64(i)*t.bucketUs) / 1e6, LengthS: length.Seconds()}
		if h := t.order[i]; h != nil {
			s := h.Summary().Millis()
			b.Ordered, b.OrderedPerS, b.OrderP50Ms, b.OrderP99Ms = h.Count(), latency.PerSecond(h.Count(), length), s.P50, s.P99
		}
		if h := t.exec[i]; h != nil {
			s := h.Summary().Millis()
			b.Executed, b.ExecutedPerS, b.ExecP50Ms, b.ExecP99Ms = h.Count(), latency.PerSecond(h.Count(), length), s.P50, s.P99
		}
		out.Buckets[i] = b
	}
	t.order, t.exec = nil, nil
	return out
}
