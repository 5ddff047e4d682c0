// Package gonumbench compares chatumm's GEMM with gonum's pure-Go Sgemm on
// the prefill shapes of ops' benchmarks. It is a separate module so that the
// chatumm module does not depend on gonum; run it from this directory:
//
//	go test -run - -bench . -benchtime 3x
//
// Both compute Y = X·Wᵀ for 128 activation rows and the 1B-model projection
// shapes (Rows×Cols); chatumm reads f16 weights, gonum f32 (it has no f16).
package gonumbench

import (
	"fmt"
	"math/rand/v2"
	goruntime "runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/chatumm/chatumm/ops"
	"github.com/chatumm/chatumm/runtime"
)

const benchRows = 128

// The shapes of ops/gemm_bench_test.go's BenchmarkGemm.
var benchShapes = [][2]int{{2048, 2048}, {5632, 2048}, {2048, 5632}, {32000, 2048}}

func randVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return v
}

// f16Mat is a rows×cols matrix of random normal f16 values near 1 in size.
func f16Mat(rng *rand.Rand, rows, cols int) *ops.Mat {
	m := &ops.Mat{DType: ops.F16, Rows: rows, Cols: cols, U16: make([]uint16, rows*cols)}
	for i := range m.U16 {
		m.U16[i] = uint16(rng.Uint32())&0x83ff | 0x3800 // random sign and mantissa, exponent near 1
	}
	return m
}

func reportGFLOPS(b *testing.B, flopsPerOp float64) {
	b.ReportMetric(flopsPerOp*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkChatumm: ops.Gemm with f16 weights on chatumm's worker pool.
func BenchmarkChatumm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range benchShapes {
		var w *ops.Mat
		var x, y []float32
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%d/threads=%d", s[0], s[1], threads), func(b *testing.B) {
				if w == nil { // built on first use, so -bench filters skip the work
					w = f16Mat(rng, s[0], s[1])
					x, y = randVec(rng, benchRows*s[1]), make([]float32, benchRows*s[0])
				}
				pool := runtime.NewPool(threads)
				defer pool.Close()
				ops.Gemm(pool, w, x, benchRows, y) // warm the scratch
				b.ResetTimer()
				for range b.N {
					ops.Gemm(pool, w, x, benchRows, y)
				}
				reportGFLOPS(b, 2*float64(benchRows)*float64(s[0]*s[1]))
			})
		}
	}
}

// BenchmarkGonum: gonum's Sgemm with f32 weights. It parallelises over
// GOMAXPROCS, which is set to the thread count for the run.
func BenchmarkGonum(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	impl := gonum.Implementation{}
	for _, s := range benchShapes {
		var w, x, y []float32
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%d/threads=%d", s[0], s[1], threads), func(b *testing.B) {
				if w == nil {
					w, x, y = randVec(rng, s[0]*s[1]), randVec(rng, benchRows*s[1]), make([]float32, benchRows*s[0])
				}
				defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(threads))
				for range b.N {
					impl.Sgemm(blas.NoTrans, blas.Trans, benchRows, s[0], s[1], 1, x, s[1], w, s[1], 0, y, s[0])
				}
				reportGFLOPS(b, 2*float64(benchRows)*float64(s[0]*s[1]))
			})
		}
	}
}
