package asm

// Benchmarks of the block-quantized matvec on the active path (force
// another with CHATUMM_CPU), with RowsF16 on the same shape as the
// baseline. b.SetBytes is the weight bytes read per op, so MB/s is the
// weight streaming rate; ns/op compares the types directly.
//
//	go test -run XXX -bench Quant -benchtime 2000x ./asm

import (
	"fmt"
	"math/rand"
	"testing"
)

const quantBenchRows, quantBenchCols = 2048, 2048

func BenchmarkQuantRows(b *testing.B) {
	r := rand.New(rand.NewSource(5))
	k := Active()
	x := randF32(r, quantBenchCols, 0, 1)
	y := make([]float32, quantBenchRows)
	b.Run("F16", func(b *testing.B) {
		w := randF16(r, quantBenchRows*quantBenchCols, 0)
		b.SetBytes(int64(len(w) * 2))
		for b.Loop() {
			k.RowsF16(w, quantBenchCols, x, y)
		}
	})
	for _, q := range quantTypes {
		nb := quantBenchCols / q.BlockElems()
		w := randQBlocks(r, q, quantBenchRows*nb, 0)
		xq := make([]byte, ActBytes(q, quantBenchCols))
		k.QuantizeAct[q](xq, x)
		b.Run(q.String(), func(b *testing.B) {
			b.SetBytes(int64(len(w)))
			for b.Loop() {
				k.RowsQ[q](w, nb*q.BlockBytes(), nb, xq, y)
			}
		})
	}
}

// BenchmarkQuantRowsMulti: four activation vectors against one matrix, as
// one RowsQ4 ("x4"), two RowsQ2 ("x2x2") and four RowsQ calls ("x1x4");
// bytes are the weights.
func BenchmarkQuantRowsMulti(b *testing.B) {
	r := rand.New(rand.NewSource(7))
	k := Active()
	var y [4][]float32
	var xs [4][]float32
	for v := range y {
		y[v], xs[v] = make([]float32, quantBenchRows), randF32(r, quantBenchCols, 0, 1)
	}
	for _, q := range []QType{Q4_0, Q8_0, Q4_K, Q6_K} {
		nb := quantBenchCols / q.BlockElems()
		rb := nb * q.BlockBytes()
		w := randQBlocks(r, q, quantBenchRows*nb, 0)
		var xq [4][]byte
		for v := range xq {
			xq[v] = make([]byte, ActBytes(q, quantBenchCols))
			k.QuantizeAct[q](xq[v], xs[v])
		}
		b.Run(q.String()+"/x4", func(b *testing.B) {
			b.SetBytes(int64(len(w)))
			for b.Loop() {
				k.RowsQ4[q](w, rb, nb, xq, y)
			}
		})
		b.Run(q.String()+"/x2x2", func(b *testing.B) {
			b.SetBytes(int64(len(w)))
			for b.Loop() {
				k.RowsQ2[q](w, rb, nb, xq[0], xq[1], y[0], y[1])
				k.RowsQ2[q](w, rb, nb, xq[2], xq[3], y[2], y[3])
			}
		})
		b.Run(q.String()+"/x1x4", func(b *testing.B) {
			b.SetBytes(int64(len(w)))
			for b.Loop() {
				for v := range xq {
					k.RowsQ[q](w, rb, nb, xq[v], y[v])
				}
			}
		})
	}
}

// BenchmarkQuantizeAct: one activation vector of the matvec's width per op.
func BenchmarkQuantizeAct(b *testing.B) {
	r := rand.New(rand.NewSource(6))
	k := Active()
	x := randF32(r, quantBenchCols, 0, 1)
	for _, q := range []QType{Q8_0, Q4_1, Q4_K} {
		xq := make([]byte, ActBytes(q, len(x)))
		b.Run(fmt.Sprintf("%v-act", q), func(b *testing.B) {
			b.SetBytes(int64(len(x) * 4))
			for b.Loop() {
				k.QuantizeAct[q](xq, x)
			}
		})
	}
}
