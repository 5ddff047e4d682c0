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

// bandwidthBlock is how much one bandwidth sample reads: about one weight
// matrix of a 1B model, so that the probe and the matvec benchmarks that
// are compared with it take their best over samples of the same length (the
// host is shared, and a best over long samples comes out markedly lower
// than a best over short ones).
const bandwidthBlock = 16 << 20

// ReadProbe measures streaming-read bandwidth over a buffer larger than
// the caches, kept so that it can be measured again next to each benchmark
// it is the yardstick for (the host's bandwidth drifts).
type ReadProbe struct {
	t    sumTask
	next int // block to read next
}

// NewReadProbe allocates and touches a probe buffer of the given size.
func NewReadProbe(bytes int) *ReadProbe {
	r := &ReadProbe{t: sumTask{buf: make([]float32, bytes/4)}}
	for i := range r.t.buf {
		r.t.buf[i] = float32(i & 1023) // touch every page
	}
	return r
}

// Measure streams the buffer block by block, every pool thread reading its
// own contiguous part of each block, moving on through the buffer so no
// block is in a cache, and returns the best block in GB/s over about d.
func (r *ReadProbe) Measure(p *runtime.Pool, d time.Duration) float64 {
	n := len(r.t.buf)
	block := min(bandwidthBlock/4, n)
	blocks := n / block
	best := 0.0
	start := time.Now()
	for i := 0; i < 3 || time.Since(start) < d; i++ {
		lo := (r.next % blocks) * block
		r.next++
		sub := &sumTask{buf: r.t.buf[lo : lo+block]}
		t0 := time.Now()
		p.RunGrain(block, 4096, sub)
		if gbs := float64(block*4) / time.Since(t0).Seconds() / 1e9; gbs > best {
			best = gbs
		}
		r.t.sink.Add(sub.sink.Load())
	}
	return best
}

// MeasureReadBandwidth is NewReadProbe(bytes).Measure(p, d).
func MeasureReadBandwidth(p *runtime.Pool, bytes int, d time.Duration) float64 {
	return NewReadProbe(bytes).Measure(p, d)
}

// Sustained streams the whole buffer in single passes, every pool thread
// reading one contiguous part of it, and returns the mean GB/s over about
// d (at least two passes). A decode step reads all the weights in one such
// pass, so this mean, not Measure's best short block, is the bound a
// model's tokens/s is held to on a shared host.
func (r *ReadProbe) Sustained(p *runtime.Pool, d time.Duration) float64 {
	start := time.Now()
	passes := 0
	for passes < 2 || time.Since(start) < d {
		p.RunGrain(len(r.t.buf), 4096, &r.t)
		passes++
	}
	return float64(passes) * float64(len(r.t.buf)*4) / time.Since(start).Seconds() / 1e9
}
