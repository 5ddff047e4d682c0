package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/chatumm/chatumm/asm"
	"github.com/chatumm/chatumm/runtime"
)

// matvecBenchMat is a rows×cols f16 or bf16 matrix of small random weights.
func matvecBenchMat(dt DType, rows, cols int) *Mat {
	rng := rand.New(rand.NewPCG(7, uint64(rows)))
	m := &Mat{DType: dt, Rows: rows, Cols: cols, U16: make([]uint16, rows*cols)}
	for i := range m.U16 {
		v := rng.Float32()*0.2 - 0.1
		if dt == BF16 {
			m.U16[i] = uint16(math.Float32bits(v) >> 16)
		} else {
			m.U16[i] = asm.ToF16(v)
		}
	}
	return m
}

// BenchmarkMatVec reports weight bytes streamed per second (the decode
// bound): MB/s in the output is weight MB/s.
func BenchmarkMatVec(b *testing.B) {
	shapes := [][2]int{{2048, 2048}, {5632, 2048}, {2048, 5632}, {32000, 2048}}
	for _, dt := range []DType{F16, BF16} {
		for _, s := range shapes {
			w := matvecBenchMat(dt, s[0], s[1])
			x, y := make([]float32, s[1]), make([]float32, s[0])
			for i := range x {
				x[i] = float32(i%7) * 0.1
			}
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%v/%dx%d/threads=%d", dt, s[0], s[1], threads), func(b *testing.B) {
					p := runtime.NewPool(threads)
					defer p.Close()
					b.SetBytes(int64(s[0] * s[1] * 2))
					for b.Loop() {
						MatVec(p, w, x, y)
					}
				})
			}
		}
	}
}

// BenchmarkReadBandwidth logs MeasureReadBandwidth over 256 MiB.
func BenchmarkReadBandwidth(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			p := runtime.NewPool(threads)
			defer p.Close()
			var g float64
			for b.Loop() {
				g = MeasureReadBandwidth(p, 256<<20, 200*time.Millisecond)
			}
			b.ReportMetric(g, "GB/s")
		})
	}
}
