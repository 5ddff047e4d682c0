package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/chatumm/chatumm/runtime"
)

// GEMM, convolution and FMA-peak throughput. GEMM shapes are the 1B-model
// projections (Rows×Cols) with 128 activation rows. The comparison with
// gonum's Sgemm on the same shapes is a separate module, tools/gonumbench, so
// that chatumm does not depend on gonum. Run e.g.
//
//	go test -run - -bench 'Gemm|Conv|Peak' -benchtime 3x ./ops

const benchRows = 128

var benchShapes = [][2]int{{2048, 2048}, {5632, 2048}, {2048, 5632}, {32000, 2048}}

func BenchmarkGemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, dt := range []DType{F16, BF16} {
		for _, s := range benchShapes {
			var w *Mat
			var x, y []float32
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%v/%dx%d/threads=%d", dt, s[0], s[1], threads), func(b *testing.B) {
					if w == nil { // built on first use, so -bench filters skip the work
						w = benchMat(rng, dt, s[0], s[1])
						x, y = randVec(rng, benchRows*s[1]), make([]float32, benchRows*s[0])
					}
					pool := runtime.NewPool(threads)
					defer pool.Close()
					Gemm(pool, w, x, benchRows, y) // warm the scratch
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N {
						Gemm(pool, w, x, benchRows, y)
					}
					reportGFLOPS(b, 2*float64(benchRows)*float64(s[0]*s[1]))
				})
			}
		}
	}
}

// BenchmarkConv2D: a VQ-GAN decoder 3×3 conv, 128→128 channels, F32 weights.
func BenchmarkConv2D(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	const ch = 128
	w := benchMat(rng, F32, ch, ch*9)
	for _, n := range []int{128, 256, 512} {
		var in, out []float32
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("3x3_%d_%dx%d/threads=%d", ch, n, n, threads), func(b *testing.B) {
				if in == nil {
					in, out = randVec(rng, ch*n*n), make([]float32, ch*n*n)
				}
				pool := runtime.NewPool(threads)
				defer pool.Close()
				b.ReportAllocs()
				for range b.N {
					Conv2D(pool, in, ch, n, n, w, nil, 3, 1, out)
				}
				reportGFLOPS(b, 2*float64(ch*ch*9)*float64(n*n))
			})
		}
	}
}

func BenchmarkFMAPeak(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			pool := runtime.NewPool(threads)
			defer pool.Close()
			var g float64
			for range b.N {
				g = MeasureFMAPeak(pool, 50*time.Millisecond)
			}
			b.ReportMetric(g, "GFLOP/s")
		})
	}
}

func reportGFLOPS(b *testing.B, flopsPerOp float64) {
	b.ReportMetric(flopsPerOp*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// benchMat is randMat without the float64 copy (the 32000×2048 matrix
// would need half a GiB for it).
func benchMat(rng *rand.Rand, dt DType, rows, cols int) *Mat {
	m := &Mat{DType: dt, Rows: rows, Cols: cols}
	if dt == F32 {
		m.F32 = randVec(rng, rows*cols)
		return m
	}
	m.U16 = make([]uint16, rows*cols)
	for i := range m.U16 {
		// Random sign and mantissa, exponent near 1: normal values in both formats.
		bits := uint16(rng.Uint32())
		if dt == F16 {
			m.U16[i] = bits&0x83ff | 0x3800
		} else {
			m.U16[i] = bits&0x807f | 0x3f00
		}
	}
	return m
}
