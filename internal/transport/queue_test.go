package transport

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestSendQueueBounds(t *testing.T) {
	tests := []struct {
		name               string
		maxFrames, maxByte int
		sizes              []int
		accepted           int
	}{
		{"frame bound", 3, 1 << 20, []int{1, 1, 1, 1, 1}, 3},
		{"byte bound", 100, 10, []int{4, 4, 4, 4}, 2},
		{"one oversized frame into an empty queue", 10, 10, []int{50, 1}, 1},
		{"oversized frame behind another", 10, 10, []int{1, 50, 1}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := newSendQueue(tc.maxFrames, tc.maxByte)
			n := 0
			for _, s := range tc.sizes {
				if q.push(queuedFrame{frame: make([]byte, s)}) {
					n++
				}
			}
			if n != tc.accepted {
				t.Fatalf("accepted %d, want %d", n, tc.accepted)
			}
		})
	}
}

// The queue is a bounded FIFO whose frames become ready in order, however
// pushes, delays and pops interleave.
func TestSendQueueModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		maxFrames := rapid.IntRange(1, 40).Draw(t, "maxFrames")
		maxBytes := rapid.IntRange(1, 400).Draw(t, "maxBytes")
		q := newSendQueue(maxFrames, maxBytes)
		base := time.Unix(1000, 0)
		now := base
		type entry struct {
			id      byte
			size    int
			readyAt time.Time
		}
		var model []entry
		var lastReady time.Time
		modelBytes := 0
		next := byte(0)
		for range rapid.IntRange(1, 200).Draw(t, "steps") {
			if rapid.Bool().Draw(t, "push") {
				size := rapid.IntRange(1, 50).Draw(t, "size")
				delay := time.Duration(rapid.IntRange(0, 100).Draw(t, "delay")) * time.Millisecond
				f := queuedFrame{frame: make([]byte, size), readyAt: now.Add(delay)}
				f.frame[0] = next
				fits := len(model) < maxFrames && (len(model) == 0 || modelBytes+size <= maxBytes)
				if got := q.push(f); got != fits {
					t.Fatalf("push accepted = %v, model says %v", got, fits)
				}
				if fits {
					ready := f.readyAt
					if ready.Before(lastReady) {
						ready = lastReady
					}
					lastReady = ready
					model = append(model, entry{next, size, ready})
					modelBytes += size
					next++
				}
			} else {
				now = now.Add(time.Duration(rapid.IntRange(0, 60).Draw(t, "advance")) * time.Millisecond)
				out, nextReady := q.popReady(now, nil)
				for _, f := range out {
					if len(model) == 0 || f.frame[0] != model[0].id {
						t.Fatal("popped out of order")
					}
					if model[0].readyAt.After(now) {
						t.Fatal("popped a frame before it was ready")
					}
					modelBytes -= model[0].size
					model = model[1:]
				}
				if len(model) > 0 && (!model[0].readyAt.After(now) || !nextReady.Equal(model[0].readyAt)) {
					t.Fatalf("left a ready frame or wrong next time")
				}
			}
			frames, bytes := q.size()
			if frames != len(model) || bytes != modelBytes || frames > maxFrames {
				t.Fatalf("size %d/%d, model %d/%d", frames, bytes, len(model), modelBytes)
			}
		}
	})
}
