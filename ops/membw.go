package ops

import (
	"sync/atomic"
	"time"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

type sumTask struct {
	buf  []float32
	sink atomic.Uint32
}

func (t *sumTask) Run(lo, hi int) {
	// The sum is kept so the reads cannot be optimised away.
	t.sink.Add(uint32(asm.Sum(t.buf[lo:hi])))
}

// MeasureReadBandwidth streams a buffer of the given size (larger than the
// caches) with every pool thread, each reading its own contiguous part, and
// returns the best pass in GB/s over about d.
func MeasureReadBandwidth(p *runtime.Pool, bytes int, d time.Duration) float64 {
	n := bytes / 4
	t := &sumTask{buf: make([]float32, n)}
	for i := range t.buf {
		t.buf[i] = float32(i & 1023) // touch every page
	}
	best := 0.0
	start := time.Now()
	for pass := 0; pass < 3 || time.Since(start) < d; pass++ {
		t0 := time.Now()
		p.RunGrain(n, 4096, t)
		if gbs := float64(n*4) / time.Since(t0).Seconds() / 1e9; gbs > best {
			best = gbs
		}
	}
	return best
}
