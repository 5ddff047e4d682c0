//go:build !purego

package asm

// The Go side of the AVX2 Q8_0 tile kernels (quant_tile_amd64.s).

// tileQ8_0AVX2 and tileQ4_0AVX2 pack Q8_0 and Q4_0 tiles with AVX2 and
// multiply both with the one kernel. The exported wrapper (RowsQTiled) has
// checked the slices; the checks here make a bad direct call panic instead
// of reading past a slice.
var (
	tileQ8_0AVX2 = &TileKernel{Bytes: tileBlockBytes, Pack: tilePackAsm(34, packQ8_0x8AVX2), Mul: tileMulQ8_0AVX2}
	tileQ4_0AVX2 = &TileKernel{Bytes: tileBlockBytes, Pack: tilePackAsm(18, packQ4_0x8AVX2), Mul: tileMulQ8_0AVX2}
	tileQ4_KAVX2 = &TileKernel{Bytes: tileK4Bytes, Pack: packQ4_KAVX2, Mul: tileMulQ4_KAVX2}
	tileQ5_KAVX2 = &TileKernel{Bytes: tileK4Bytes, Pack: packQ5_KAVX2, Mul: tileMulQ5_KAVX2}
)

func tilePackAsm(blockBytes int, pack func(dst, w *byte, rowBytes, nb int)) func(dst, w []byte, rowBytes, nb int) {
	return func(dst, w []byte, rowBytes, nb int) {
		_ = dst[nb*tileBlockBytes-1]
		_ = w[(TileRows-1)*rowBytes+nb*blockBytes-1]
		pack(&dst[0], &w[0], rowBytes, nb)
	}
}

// The Mul wrappers call their kernel directly: y passed through a func
// value would escape, an allocation per call.
func tileMulQ8_0AVX2(tile []byte, nb int, xq [4][]byte) (y [4 * TileRows]float32) {
	checkTileMul(tile, nb, tileBlockBytes, xq, q8_0Bytes)
	tileQ8_0x8x4AVX2(&tile[0], nb, &xq[0][0], &xq[1][0], &xq[2][0], &xq[3][0], &y)
	return y
}

func tileMulQ4_KAVX2(tile []byte, nb int, xq [4][]byte) (y [4 * TileRows]float32) {
	checkTileMul(tile, nb, tileK4Bytes, xq, q8_KBytes)
	tileQ4_Kx8x4AVX2(&tile[0], nb, &xq[0][0], &xq[1][0], &xq[2][0], &xq[3][0], &y)
	return y
}

func tileMulQ5_KAVX2(tile []byte, nb int, xq [4][]byte) (y [4 * TileRows]float32) {
	checkTileMul(tile, nb, tileK4Bytes, xq, q8_KBytes)
	tileQ5_Kx8x4AVX2(&tile[0], nb, &xq[0][0], &xq[1][0], &xq[2][0], &xq[3][0], &y)
	return y
}

func checkTileMul(tile []byte, nb, tileBytes int, xq [4][]byte, actBytes int) {
	_ = tile[nb*tileBytes-1]
	for _, x := range xq {
		_ = x[nb*actBytes-1]
	}
}

//go:noescape
func tileQ8_0x8x4AVX2(tile *byte, nb int, x0, x1, x2, x3 *byte, y *[4 * TileRows]float32)

//go:noescape
func packQ8_0x8AVX2(dst, w *byte, rowBytes, nb int)

//go:noescape
func packQ4_0x8AVX2(dst, w *byte, rowBytes, nb int)

// packQ4_KAVX2 packs Q4_K tiles: the scales in Go, the values with AVX2.
func packQ4_KAVX2(dst, w []byte, rowBytes, nb int) {
	_ = dst[nb*tileK4Bytes-1]
	_ = w[(TileRows-1)*rowBytes+nb*144-1]
	packKScales(dst, w, rowBytes, nb, 144)
	packQ4_Kx8ValuesAVX2(&dst[0], &w[0], rowBytes, nb)
}

// packQ5_KAVX2 packs Q5_K tiles: the scales in Go, the values with AVX2.
func packQ5_KAVX2(dst, w []byte, rowBytes, nb int) {
	_ = dst[nb*tileK4Bytes-1]
	_ = w[(TileRows-1)*rowBytes+nb*176-1]
	packKScales(dst, w, rowBytes, nb, 176)
	packQ5_Kx8ValuesAVX2(&dst[0], &w[0], rowBytes, nb)
}

//go:noescape
func tileQ4_Kx8x4AVX2(tile *byte, nb int, x0, x1, x2, x3 *byte, y *[4 * TileRows]float32)

//go:noescape
func packQ4_Kx8ValuesAVX2(dst, w *byte, rowBytes, nb int)

//go:noescape
func tileQ5_Kx8x4AVX2(tile *byte, nb int, x0, x1, x2, x3 *byte, y *[4 * TileRows]float32)

//go:noescape
func packQ5_Kx8ValuesAVX2(dst, w *byte, rowBytes, nb int)
