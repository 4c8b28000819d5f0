package latency

import (
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestBucketBoundsCoverEveryValue(t *testing.T) {
	for _, us := range []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 123_456, 1 << 40, 1<<63 - 1} {
		i := bucketOf(us)
		lo, hi := bucketBounds(i)
		if us < lo || us > hi {
			t.Errorf("value %d in bucket %d = [%d, %d]", us, i, lo, hi)
		}
		if i >= histogramBuckets {
			t.Errorf("value %d: bucket %d beyond %d", us, i, histogramBuckets)
		}
	}
}

func TestQuantiles(t *testing.T) {
	tests := []struct {
		name      string
		samplesUs []int64
		q         float64
		wantUs    int64
	}{
		{"empty", nil, 0.5, 0},
		{"one", []int64{42}, 0.99, 42},
		{"median of exact values", []int64{1, 2, 3, 4, 5}, 0.5, 3},
		{"p90 of 1..10", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9, 9},
		{"max is not exceeded", []int64{100, 100_000}, 1, 100_000},
		{"negative counts as zero", []int64{-5}, 0.5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h Histogram
			for _, us := range tc.samplesUs {
				h.Add(time.Duration(us) * time.Microsecond)
			}
			if got := h.Quantile(tc.q); got != time.Duration(tc.wantUs)*time.Microsecond {
				t.Errorf("quantile(%v) = %v, want %dus", tc.q, got, tc.wantUs)
			}
		})
	}
}

// The histogram's percentile is within 1/64 of the exact sample of the
// same rank, and merging equals adding everything to one histogram.
func TestQuantileErrorIsBoundedProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		samples := rapid.SliceOfN(rapid.Int64Range(0, 10_000_000), 1, 300).Draw(t, "samples")
		split := rapid.IntRange(0, len(samples)).Draw(t, "split")
		q := rapid.Float64Range(0.01, 1).Draw(t, "q")
		var a, b, all Histogram
		for i, us := range samples {
			d := time.Duration(us) * time.Microsecond
			all.Add(d)
			if i < split {
				a.Add(d)
			} else {
				b.Add(d)
			}
		}
		a.Merge(&b)
		if a != all {
			t.Fatal("merged histogram differs from the histogram of all samples")
		}
		sorted := slices.Clone(samples)
		slices.Sort(sorted)
		rank := max(int(float64(len(sorted))*q+0.999999999), 1)
		exact := float64(sorted[min(rank, len(sorted))-1])
		got := float64(all.Quantile(q).Microseconds())
		if diff := got - exact; diff > exact/64+1 || -diff > exact/64+1 {
			t.Fatalf("quantile(%v) = %v, exact %v", q, got, exact)
		}
	})
}

func TestMean(t *testing.T) {
	var h Histogram
	for _, ms := range []int{1, 2, 3, 6} {
		h.Add(time.Duration(ms) * time.Millisecond)
	}
	if got := h.Mean(); got != 3*time.Millisecond {
		t.Errorf("mean = %v, want 3ms", got)
	}
}

func TestCDFIsMonotoneAndEndsAtTheMaximum(t *testing.T) {
	var h Histogram
	h.CDF(func(time.Duration, float64) { t.Fatal("point from an empty histogram") })
	for _, us := range []int64{5, 5, 300, 7000, 123_456} {
		h.AddMicros(us)
	}
	var values []time.Duration
	var fractions []float64
	h.CDF(func(v time.Duration, f float64) {
		values = append(values, v)
		fractions = append(fractions, f)
	})
	if !slices.IsSorted(values) || !slices.IsSorted(fractions) {
		t.Errorf("CDF not monotone: %v %v", values, fractions)
	}
	if len(values) != 4 || values[0] != 5*time.Microsecond || fractions[0] != 0.4 {
		t.Errorf("CDF points %v %v", values, fractions)
	}
	if values[len(values)-1] != h.Max() || fractions[len(fractions)-1] != 1 {
		t.Errorf("CDF ends at %v/%v, want the maximum %v/1", values[len(values)-1], fractions[len(fractions)-1], h.Max())
	}
}

func TestMillisAndPerSecondRound(t *testing.T) {
	s := Summary{P50: 1234567 * time.Nanosecond, P90: 2 * time.Millisecond, P99: 0, Mean: 1500 * time.Microsecond}
	if got, want := s.Millis(), (Millis{P50: 1.235, P90: 2, P99: 0, Mean: 1.5}); got != want {
		t.Errorf("Millis() = %+v, want %+v", got, want)
	}
	tests := []struct {
		count  uint64
		window time.Duration
		want   float64
	}{
		{0, time.Second, 0},
		{10, 0, 0},
		{1000, 3 * time.Second, 333.333},
		{2, 3 * time.Second, 0.667},
	}
	for _, tc := range tests {
		if got := PerSecond(tc.count, tc.window); got != tc.want {
			t.Errorf("PerSecond(%d, %v) = %v, want %v", tc.count, tc.window, got, tc.want)
		}
	}
}
