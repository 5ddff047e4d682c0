//go:build !purego

package asm

import "github.com/klauspost/cpuid/v2"

// withQuantAVX2 fills the block-quantized entries of an amd64 table with
// the AVX2 kernels (quant_amd64.s and quantk*_amd64.s: every type's RowsQ,
// the multi-vector RowsQ2/RowsQ4 of Q4_0, Q8_0 and the K types, the packed
// prefill tiles of Q8_0, Q4_0, Q4_K and Q5_K, the three activation quantizers);
// the avx512 path uses them too (there are no AVX-512 VNNI kernels yet).
// Dequantize stays the generic twin (one embedding row per token);
// Q4_1/Q5_0/Q5_1's RowsQ2/RowsQ4 run their RowsQ per vector
// (fillFromGeneric). The one-vector Q4_0, Q8_0, Q4_K and Q6_K kernels
// prefetch their weights in software where the f16 matvec does
// (rowsPrefetchPays, kernels_amd64.go). The Q4_0 kernels give the generic
// twin's bits (quant_q4_0_amd64.s).
func withQuantAVX2(k *Kernels) *Kernels {
	return withQuantAVX2Prefetching(k, rowsPrefetchPays(cpuid.CPU.VendorID))
}

// withQuantAVX2Prefetching is withQuantAVX2 with (pf) or without the
// software prefetch of the weights; both give the same bits.
func withQuantAVX2Prefetching(k *Kernels, pf bool) *Kernels {
	k.RowsQ[Q4_0] = rowsQ4_0Asm(dotQ4_0x8AVX2)
	k.RowsQ[Q8_0] = rowsQAsm(Q8_0, dotQ8_0AVX2)
	k.RowsQ[Q4_1] = rowsQAsm(Q4_1, dotQ4_1AVX2)
	k.RowsQ[Q5_0] = rowsQAsm(Q5_0, dotQ5_0AVX2)
	k.RowsQ[Q5_1] = rowsQAsm(Q5_1, dotQ5_1AVX2)
	k.RowsQ[Q4_K] = rowsQAsm(Q4_K, dotQ4_KAVX2)
	k.RowsQ[Q5_K] = rowsQAsm(Q5_K, dotQ5_KAVX2)
	k.RowsQ[Q6_K] = rowsQAsm(Q6_K, dotQ6_KAVX2)
	if pf {
		k.RowsQ[Q4_0] = rowsQ4_0Asm(dotQ4_0x8PfAVX2)
		k.RowsQ[Q8_0] = rowsQAsm(Q8_0, dotQ8_0PfAVX2)
		k.RowsQ[Q4_K] = rowsQAsm(Q4_K, dotQ4_KPfAVX2)
		k.RowsQ[Q6_K] = rowsQAsm(Q6_K, dotQ6_KPfAVX2)
	}
	// Q4_0's two-vector matvec is its one-vector one twice: ops calls it
	// per grain of rows, so the second pass reads the weights from cache.
	k.RowsQ2[Q4_0] = rowsQTwice(k.RowsQ[Q4_0])
	k.RowsQ2[Q8_0] = rowsQ2Asm(Q8_0, dotQ8_0x2AVX2)
	k.RowsQ2[Q4_K] = rowsQ2Asm(Q4_K, dotQ4_Kx2AVX2)
	k.RowsQ2[Q5_K] = rowsQ2Asm(Q5_K, dotQ5_Kx2AVX2)
	k.RowsQ2[Q6_K] = rowsQ2Asm(Q6_K, dotQ6_Kx2AVX2)
	k.RowsQ4[Q4_0] = rowsQ4_0x4Asm
	k.RowsQ4[Q8_0] = rowsQ8_0x4Asm
	k.RowsQ4[Q4_K] = rowsQ4Asm(Q4_K, dotQ4_Kx4AVX2)
	k.RowsQ4[Q5_K] = rowsQ4Asm(Q5_K, dotQ5_Kx4AVX2)
	k.RowsQ4[Q6_K] = rowsQ4Asm(Q6_K, dotQ6_Kx4AVX2)
	k.TileQ[Q8_0] = tileQ8_0AVX2
	k.TileQ[Q4_0] = tileQ4_0AVX2
	k.TileQ[Q4_K] = tileQ4_KAVX2
	k.TileQ[Q5_K] = tileQ5_KAVX2
	for _, q := range []QType{Q4_0, Q5_0, Q8_0} {
		k.QuantizeAct[q] = quantizeActAsm(32, q8_0Bytes, quantQ8_0AVX2)
	}
	for _, q := range []QType{Q4_1, Q5_1} {
		k.QuantizeAct[q] = quantizeActAsm(32, q8_1Bytes, quantQ8_1AVX2)
	}
	for _, q := range []QType{Q4_K, Q5_K, Q6_K} {
		k.QuantizeAct[q] = quantizeActAsm(256, q8_KBytes, quantQ8_KAVX2)
	}
	return k
}

// quantizeActAsm runs an activation quantizer over whole blocks of elems
// values, blockBytes bytes each.
func quantizeActAsm(elems, blockBytes int, quant func(dst *byte, x *float32, nb int)) func(dst []byte, x []float32) {
	return func(dst []byte, x []float32) {
		nb := len(x) / elems
		if nb == 0 {
			return
		}
		_ = dst[nb*blockBytes-1]
		quant(&dst[0], &x[0], nb)
	}
}

// rowsQAsm runs a one-row assembly dot product over the rows of w. The
// exported wrappers have checked the slices (quant.go); the checks here make
// a bad direct call of the table panic instead of reading past a slice.
func rowsQAsm(q QType, dot func(w, x *byte, nb int) float32) func(w []byte, rowBytes, nb int, xq []byte, y []float32) {
	return func(w []byte, rowBytes, nb int, xq []byte, y []float32) {
		if len(y) == 0 {
			return
		}
		if nb == 0 {
			clear(y)
			return
		}
		_ = w[(len(y)-1)*rowBytes+nb*q.BlockBytes()-1]
		_ = xq[ActBytes(q, nb*q.BlockElems())-1]
		for r := range y {
			y[r] = dot(&w[r*rowBytes], &xq[0], nb)
		}
	}
}

// rowsQ2Asm runs a two-vector assembly kernel over the rows of w.
func rowsQ2Asm(q QType, dot2 func(w, x0, x1 *byte, nb int, y0, y1 *float32)) func(w []byte, rowBytes, nb int, xq0, xq1 []byte, y0, y1 []float32) {
	return func(w []byte, rowBytes, nb int, xq0, xq1 []byte, y0, y1 []float32) {
		if len(y0) == 0 {
			return
		}
		y1 = y1[:len(y0)]
		if nb == 0 {
			clear(y0)
			clear(y1)
			return
		}
		_ = w[(len(y0)-1)*rowBytes+nb*q.BlockBytes()-1]
		_, _ = xq0[ActBytes(q, nb*q.BlockElems())-1], xq1[ActBytes(q, nb*q.BlockElems())-1]
		for r := range y0 {
			dot2(&w[r*rowBytes], &xq0[0], &xq1[0], nb, &y0[r], &y1[r])
		}
	}
}

// rowsQ4Prologue is what every RowsQ4 assembly wrapper does before its
// kernels run: it trims y[1..3] to len(y[0]) rows, clears them when there
// are no blocks (so the caller's loop runs zero times), and makes a bad
// direct call of the table panic on the weight or activation slices
// instead of letting the kernels read past them. It returns the number of
// rows left to compute: 0 when there are no rows or no blocks.
func rowsQ4Prologue(q QType, w []byte, rowBytes, nb int, xq [4][]byte, y *[4][]float32) int {
	rows := len(y[0])
	if rows == 0 {
		return 0
	}
	for v := range y {
		y[v] = y[v][:rows]
		if nb == 0 {
			clear(y[v])
		}
	}
	if nb == 0 {
		return 0
	}
	_ = w[(rows-1)*rowBytes+nb*q.BlockBytes()-1]
	a := ActBytes(q, nb*q.BlockElems())
	for v := range xq {
		_ = xq[v][a-1]
	}
	return rows
}

// rowsQ4Asm runs a four-vector assembly kernel over the rows of w.
func rowsQ4Asm(q QType, dot4 func(w, x0, x1, x2, x3 *byte, nb int, y *[4]float32)) func(w []byte, rowBytes, nb int, xq [4][]byte, y [4][]float32) {
	return func(w []byte, rowBytes, nb int, xq [4][]byte, y [4][]float32) {
		rows := rowsQ4Prologue(q, w, rowBytes, nb, xq, &y)
		var out [4]float32
		for r := 0; r < rows; r++ {
			dot4(&w[r*rowBytes], &xq[0][0], &xq[1][0], &xq[2][0], &xq[3][0], nb, &out)
			y[0][r], y[1][r], y[2][r], y[3][r] = out[0], out[1], out[2], out[3]
		}
	}
}

//go:noescape
func dotQ8_0PfAVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ4_1AVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ5_0AVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ5_1AVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ8_0AVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ4_KAVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ5_KAVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ6_KAVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ4_KPfAVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ6_KPfAVX2(w, x *byte, nb int) float32

//go:noescape
func quantQ8_0AVX2(dst *byte, x *float32, nb int)

//go:noescape
func quantQ8_KAVX2(dst *byte, x *float32, nb int)

//go:noescape
func quantQ8_1AVX2(dst *byte, x *float32, nb int)

//go:noescape
func dotQ8_0x2AVX2(w, x0, x1 *byte, nb int, y0, y1 *float32)

//go:noescape
func dotQ4_Kx2AVX2(w, x0, x1 *byte, nb int, y0, y1 *float32)

//go:noescape
func dotQ6_Kx2AVX2(w, x0, x1 *byte, nb int, y0, y1 *float32)

//go:noescape
func dotQ8_0x4AVX2(w, x0, x1, x2, x3 *byte, nb int, y *[4]float32)

//go:noescape
func dotQ4_Kx4AVX2(w, x0, x1, x2, x3 *byte, nb int, y *[4]float32)

//go:noescape
func dotQ6_Kx4AVX2(w, x0, x1, x2, x3 *byte, nb int, y *[4]float32)

//go:noescape
func dotQ5_Kx2AVX2(w, x0, x1 *byte, nb int, y0, y1 *float32)

//go:noescape
func dotQ5_Kx4AVX2(w, x0, x1, x2, x3 *byte, nb int, y *[4]float32)
