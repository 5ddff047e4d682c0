//go:build !purego

package asm

// The Go side of the Q8_0 prefill kernel (quant_q8_0_amd64.s).

// q8_0ScaleBlocks bounds the d_x table dotQ8_0x4sRowsAVX2 keeps in its
// frame (8 KiB, the frame size in quant_q8_0_amd64.s): 256 blocks cover
// rows of 8192 values (the widest matrix of a 1B model, the FFN down
// projection). Wider rows take dotQ8_0x4AVX2, which gives the same bits.
const q8_0ScaleBlocks = 256

// rowsQ8_0x4Asm is RowsQ4 for Q8_0: one dotQ8_0x4sRowsAVX2 widens the four
// vectors' f16 scales once into a table shared by all the rows of the call
// and computes every row. A single row, or rows wider than the table, run
// dotQ8_0x4AVX2 instead (the table would not pay for itself, or would
// not fit); both kernels give every row the one-vector kernel's bits.
func rowsQ8_0x4Asm(w []byte, rowBytes, nb int, xq [4][]byte, y [4][]float32) {
	rows := rowsQ4Prologue(Q8_0, w, rowBytes, nb, xq, &y)
	var out [4]float32
	if rows < 2 || nb > q8_0ScaleBlocks {
		for r := 0; r < rows; r++ {
			dotQ8_0x4AVX2(&w[r*rowBytes], &xq[0][0], &xq[1][0], &xq[2][0], &xq[3][0], nb, &out)
			y[0][r], y[1][r], y[2][r], y[3][r] = out[0], out[1], out[2], out[3]
		}
		return
	}
	dotQ8_0x4sRowsAVX2(&w[0], rowBytes, &xq[0][0], &xq[1][0], &xq[2][0], &xq[3][0], nb, rows,
		&y[0][0], &y[1][0], &y[2][0], &y[3][0])
}

//go:noescape
func dotQ8_0x4sRowsAVX2(w *byte, rowBytes int, x0, x1, x2, x3 *byte, nb, rows int, y0, y1, y2, y3 *float32)
