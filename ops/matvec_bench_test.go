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

// BenchmarkMatVecCold streams the weights of eight 2048-wide decoder layers
// (q, k, v, o, gate, up, down: about 1.1 GiB of f16, past any last-level
// cache) one matrix after the other, as a decode step does, against one,
// two and three vectors (plain, guided and three-way guided decoding).
// MB/s is weight MB/s, so vecs=2 at the vecs=1 figure means guidance reads
// the weights for free.
func BenchmarkMatVecCold(b *testing.B) {
	var ws []*Mat
	for range 8 {
		for _, s := range [][2]int{{2048, 2048}, {2048, 2048}, {2048, 2048}, {2048, 2048}, {5632, 2048}, {5632, 2048}, {2048, 5632}} {
			ws = append(ws, matvecBenchMat(F16, s[0], s[1]))
		}
	}
	bytes := 0
	for _, w := range ws {
		bytes += 2 * w.Rows * w.Cols
	}
	for _, threads := range []int{1, 2} {
		for _, nv := range []int{1, 2, 3} {
			xs, ys := make([][]float32, nv), make([][]float32, nv)
			for j := range xs {
				xs[j], ys[j] = make([]float32, 5632), make([]float32, 5632)
				for i := range xs[j] {
					xs[j][i] = float32((i+j)%7) * 0.1
				}
			}
			b.Run(fmt.Sprintf("vecs=%d/threads=%d", nv, threads), func(b *testing.B) {
				p := runtime.NewPool(threads)
				defer p.Close()
				b.SetBytes(int64(bytes))
				vx, vy := make([][]float32, nv), make([][]float32, nv)
				for b.Loop() {
					for _, w := range ws {
						for j := range xs {
							vx[j], vy[j] = xs[j][:w.Cols], ys[j][:w.Rows]
						}
						if nv == 1 {
							MatVec(p, w, vx[0], vy[0])
						} else {
							MatVecMulti(p, w, vx, vy)
						}
					}
				}
			})
		}
	}
}
