//go:build !purego

package asm

// The Go side of the AVX2 Q4_0 kernels (quant_q4_0_amd64.s): rows in
// groups of eight for one vector, in groups of eight or four for four
// vectors, and the rest one row at a time. Every kernel gives each row the
// generic twin's bits, so the grouping never changes a result.

// rowsQ4_0Asm runs an eight-row kernel over groups of eight rows and the
// one-row kernel over the rest.
func rowsQ4_0Asm(dot8 func(w *byte, rowBytes int, x *byte, nb int, y *float32)) func(w []byte, rowBytes, nb int, xq []byte, y []float32) {
	return func(w []byte, rowBytes, nb int, xq []byte, y []float32) {
		if len(y) == 0 {
			return
		}
		if nb == 0 {
			clear(y)
			return
		}
		_ = w[(len(y)-1)*rowBytes+nb*Q4_0.BlockBytes()-1]
		_ = xq[ActBytes(Q4_0, nb*32)-1]
		r := 0
		for ; r+8 <= len(y); r += 8 {
			dot8(&w[r*rowBytes], rowBytes, &xq[0], nb, &y[r])
		}
		for ; r < len(y); r++ {
			y[r] = dotQ4_0AVX2(&w[r*rowBytes], &xq[0], nb)
		}
	}
}

// rowsQ4_0x4Asm is RowsQ4 for Q4_0: the eight-row, four-vector kernel over
// groups of eight rows, the four-row one over a group of four left over,
// the one-row kernel per vector over the rest.
func rowsQ4_0x4Asm(w []byte, rowBytes, nb int, xq [4][]byte, y [4][]float32) {
	rows := rowsQ4Prologue(Q4_0, w, rowBytes, nb, xq, &y)
	var out [32]float32
	r := 0
	for ; r+8 <= rows; r += 8 {
		dotQ4_0r8x4AVX2(&w[r*rowBytes], rowBytes, &xq[0][0], &xq[1][0], &xq[2][0], &xq[3][0], nb, &out)
		scatterQ4_0x4(&y, r, 4, &out)
	}
	for ; r+4 <= rows; r += 4 {
		dotQ4_0r4x4AVX2(&w[r*rowBytes], rowBytes, &xq[0][0], &xq[1][0], &xq[2][0], &xq[3][0], nb, (*[16]float32)(out[:16]))
		scatterQ4_0x4(&y, r, 2, &out)
	}
	for ; r < rows; r++ {
		for v := range xq {
			y[v][r] = dotQ4_0AVX2(&w[r*rowBytes], &xq[v][0], nb)
		}
	}
}

//go:noescape
func dotQ4_0x8AVX2(w *byte, rowBytes int, x *byte, nb int, y *float32)

//go:noescape
func dotQ4_0x8PfAVX2(w *byte, rowBytes int, x *byte, nb int, y *float32)

//go:noescape
func dotQ4_0AVX2(w, x *byte, nb int) float32

// scatterQ4_0x4 copies the first `pairs` row pairs of a four-vector
// kernel's out into y from row r on: out holds rows r, r+1, then r+2, r+3,
// ..., each pair as [a·v0 a·v1 b·v0 b·v1 a·v2 a·v3 b·v2 b·v3].
func scatterQ4_0x4(y *[4][]float32, r, pairs int, out *[32]float32) {
	for p := 0; p < pairs; p++ {
		o, a, b := out[8*p:8*p+8], r+2*p, r+2*p+1
		y[0][a], y[1][a], y[0][b], y[1][b] = o[0], o[1], o[2], o[3]
		y[2][a], y[3][a], y[2][b], y[3][b] = o[4], o[5], o[6], o[7]
	}
}

//go:noescape
func dotQ4_0r8x4AVX2(w *byte, rowBytes int, x0, x1, x2, x3 *byte, nb int, y *[32]float32)

//go:noescape
func dotQ4_0r4x4AVX2(w *byte, rowBytes int, x0, x1, x2, x3 *byte, nb int, y *[16]float32)
