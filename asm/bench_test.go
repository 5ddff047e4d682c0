package asm

// Benchmarks per implementation (b.Run per name). Matrix benchmarks set
// b.SetBytes to the weight bytes read per op, so the MB/s column is the
// weight streaming rate of the decode matvec. Shapes are the 1B model's:
// 2048x2048 (attention projections) and 5632x2048 (MLP up/gate).
//
//	go test -run XXX -bench . -benchtime 200ms ./asm

import (
	"fmt"
	"math/rand"
	"testing"
)

var matShapes = []struct{ rows, cols int }{{2048, 2048}, {5632, 2048}}

// benchImpls runs f once per available implementation.
func benchImpls(b *testing.B, f func(b *testing.B, k *Kernels)) {
	for _, k := range Available() {
		b.Run(k.Name, func(b *testing.B) { f(b, k) })
	}
}

func benchMatrix(r *rand.Rand, rows, cols int, bf16 bool) []uint16 {
	if bf16 {
		return randBF16(r, rows*cols, 0)
	}
	return randF16(r, rows*cols, 0)
}

// BenchmarkDotF16Matvec multiplies the matrix one row at a time with DotF16.
func BenchmarkDotF16Matvec(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	for _, s := range matShapes {
		w := benchMatrix(r, s.rows, s.cols, false)
		x := randF32(r, s.cols, 0, 1)
		y := make([]float32, s.rows)
		b.Run(fmt.Sprintf("%dx%d", s.rows, s.cols), func(b *testing.B) {
			benchImpls(b, func(b *testing.B, k *Kernels) {
				b.SetBytes(int64(len(w) * 2))
				for b.Loop() {
					for i := range y {
						y[i] = k.DotF16(w[i*s.cols:(i+1)*s.cols], x)
					}
				}
			})
		})
	}
}

func BenchmarkRowsF16(b *testing.B)  { benchRows(b, false) }
func BenchmarkRowsBF16(b *testing.B) { benchRows(b, true) }

func benchRows(b *testing.B, bf16 bool) {
	r := rand.New(rand.NewSource(2))
	for _, s := range matShapes {
		w := benchMatrix(r, s.rows, s.cols, bf16)
		x := randF32(r, s.cols, 0, 1)
		y := make([]float32, s.rows)
		b.Run(fmt.Sprintf("%dx%d", s.rows, s.cols), func(b *testing.B) {
			benchImpls(b, func(b *testing.B, k *Kernels) {
				rows := k.RowsF16
				if bf16 {
					rows = k.RowsBF16
				}
				b.SetBytes(int64(len(w) * 2))
				for b.Loop() {
					rows(w, s.cols, x, y)
				}
			})
		})
	}
}

func BenchmarkRowsF32(b *testing.B) {
	r := rand.New(rand.NewSource(3))
	rows, cols := 2048, 2048
	w := randF32(r, rows*cols, 0, 1)
	x := randF32(r, cols, 0, 1)
	y := make([]float32, rows)
	benchImpls(b, func(b *testing.B, k *Kernels) {
		b.SetBytes(int64(len(w) * 4))
		for b.Loop() {
			k.RowsF32(w, cols, x, y)
		}
	})
}

// Element-wise kernels at the sizes decode uses them: softmax over a 65536
// vocabulary, SwiGLU over the 5632 MLP width, f16 widening of a 2048 row.
// SetBytes counts the float32 values written.

func BenchmarkExpSub(b *testing.B) {
	x := randF32(rand.New(rand.NewSource(4)), 65536, 0, 10)
	dst := make([]float32, len(x))
	benchImpls(b, func(b *testing.B, k *Kernels) {
		b.SetBytes(int64(len(x) * 4))
		for b.Loop() {
			k.ExpSub(dst, x, 3)
		}
	})
}

func BenchmarkSwiGLU(b *testing.B) {
	r := rand.New(rand.NewSource(5))
	g, u := randF32(r, 5632, 0, 6), randF32(r, 5632, 0, 6)
	dst := make([]float32, len(g))
	benchImpls(b, func(b *testing.B, k *Kernels) {
		b.SetBytes(int64(len(g) * 4))
		for b.Loop() {
			k.SwiGLU(dst, g, u)
		}
	})
}

func BenchmarkF16ToF32(b *testing.B) {
	r := rand.New(rand.NewSource(6))
	src := randF16(r, 2048, 0)
	dst := make([]float32, len(src))
	benchImpls(b, func(b *testing.B, k *Kernels) {
		b.SetBytes(int64(len(src) * 4))
		for b.Loop() {
			k.F16ToF32(dst, src)
		}
	})
}

func BenchmarkMax(b *testing.B) {
	x := randF32(rand.New(rand.NewSource(7)), 65536, 0, 10)
	benchImpls(b, func(b *testing.B, k *Kernels) {
		b.SetBytes(int64(len(x) * 4))
		for b.Loop() {
			k.Max(x)
		}
	})
}
