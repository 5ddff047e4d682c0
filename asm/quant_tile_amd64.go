//go:build !purego

package asm

// The Go side of the AVX2 Q8_0 tile kernels (quant_tile_amd64.s).

// tileQ8_0AVX2 packs and multiplies Q8_0 tiles with AVX2. The exported
// wrapper (RowsQTiled) has checked the slices; the checks here make a bad
// direct call panic instead of reading past a slice.
var tileQ8_0AVX2 = &TileKernel{
	Pack: func(dst, w []byte, rowBytes, nb int) {
		_ = dst[nb*272-1]
		_ = w[(TileRows-1)*rowBytes+nb*34-1]
		packQ8_0x8AVX2(&dst[0], &w[0], rowBytes, nb)
	},
	Mul: func(tile []byte, nb int, xq [4][]byte, y *[4 * TileRows]float32) {
		_ = tile[nb*272-1]
		for _, x := range xq {
			_ = x[nb*q8_0Bytes-1]
		}
		tileQ8_0x8x4AVX2(&tile[0], nb, &xq[0][0], &xq[1][0], &xq[2][0], &xq[3][0], y)
	},
}

//go:noescape
func tileQ8_0x8x4AVX2(tile *byte, nb int, x0, x1, x2, x3 *byte, y *[4 * TileRows]float32)

//go:noescape
func packQ8_0x8AVX2(dst, w *byte, rowBytes, nb int)
