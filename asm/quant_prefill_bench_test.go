package asm

// BenchmarkQuantPrefill: the shape of one prefill GEMM chunk as ops runs it
// (64 weight rows of a 2048-wide matrix against 128 quantized activation
// vectors), on the active path: "multi" through RowsQMulti in grains of 16
// rows (the matvec kernels), "tiled" through RowsQTiled (the packed tiles,
// where the path has them; packing included). pairblocks/ns is (row,
// vector) 32-value block dot products per nanosecond.
//
//	go test -run XXX -bench QuantPrefill -benchtime 200x ./asm

import (
	"math/rand"
	"testing"
)

func BenchmarkQuantPrefill(b *testing.B) {
	const rows, cols, vecs, grain = 64, 2048, 128, 16
	r := rand.New(rand.NewSource(9))
	for _, q := range []QType{Q4_0, Q8_0, Q4_K, Q5_K} {
		nb := cols / q.BlockElems()
		rb := nb * q.BlockBytes()
		w := randQBlocks(r, q, rows*nb, 0)
		xq := make([][]byte, vecs)
		ys := make([][]float32, vecs)
		for v := range xq {
			xq[v] = make([]byte, ActBytes(q, cols))
			QuantizeAct(q, xq[v], randF32(r, cols, 0, 1))
			ys[v] = make([]float32, rows)
		}
		b.Run(q.String()+"/multi", func(b *testing.B) {
			for b.Loop() {
				for lo := 0; lo < rows; lo += grain {
					RowsQMulti(q, w, rb, xq, cols, ys, lo, lo+grain)
				}
			}
			b.ReportMetric(float64(rows*vecs*cols/32)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "pairblocks/ns")
		})
		if !HasTile(q) {
			continue
		}
		scratch := make([]byte, TileScratchBytes(q, cols))
		b.Run(q.String()+"/tiled", func(b *testing.B) {
			for b.Loop() {
				RowsQTiled(q, w, rb, xq, cols, ys, 0, rows, scratch)
			}
			b.ReportMetric(float64(rows*vecs*cols/32)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "pairblocks/ns")
		})
	}
}
