package asm

// The Winograd F(2×2, 3×3) tile transforms of ops.Conv2D for 16 consecutive
// tiles of one tile row at a time. The generic twins below use the same
// additions in the same order as ops' one-tile loops, and the AVX-512
// assembly (gemm_winograd_amd64.s) the same again, so every path gives the
// same bits.

func winogradInputCheck(src []float32, rowStride int, dst []float32, vStride int) {
	if rowStride < 34 || vStride < 16 || len(src) < 3*rowStride+34 || len(dst) < 15*vStride+16 {
		panic("asm: WinogradInput16: slice too short for 16 tiles")
	}
}

func winogradOutputCheck(m []float32, mStride int, top, bot []float32) {
	if mStride < 16 || len(m) < 15*mStride+16 || len(top) < 32 || len(bot) < 32 {
		panic("asm: WinogradOutput16: slice too short for 16 tiles")
	}
}

// WinogradInput16 transforms the 4×4 input patches of 16 tiles whose left
// edges are 2 pixels apart: patch j is src[y*rowStride + 2j + x] for
// y, x < 4. With rows y of d·B first, d·B[y] = (d0-d2, d1+d2, d2-d1,
// d1-d3), then columns the same way, V[4y'+x] of tile j is written to
// dst[(4y'+x)*vStride + j]. It reads 34 values of each of the 4 rows.
func WinogradInput16(src []float32, rowStride int, dst []float32, vStride int) {
	winogradInputCheck(src, rowStride, dst, vStride)
	active.WinogradInput16(src, rowStride, dst, vStride)
}

// WinogradOutput16 transforms the products of 16 tiles, M[ξ] of tile j at
// m[ξ*mStride + j], into their 2×2 outputs plus bias: with r0 = M0+M4+M8
// and r1 = M4-M8-M12 per column x, top[2j] = r0[0]+r0[1]+r0[2]+bias,
// top[2j+1] = r0[1]-r0[2]-r0[3]+bias, and bot likewise from r1.
func WinogradOutput16(m []float32, mStride int, top, bot []float32, bias float32) {
	winogradOutputCheck(m, mStride, top, bot)
	active.WinogradOutput16(m, mStride, top, bot, bias)
}

func winogradInput16Generic(src []float32, rowStride int, dst []float32, vStride int) {
	winogradInputCheck(src, rowStride, dst, vStride)
	for j := 0; j < 16; j++ {
		var db [4][4]float32
		for y := 0; y < 4; y++ {
			r := src[y*rowStride+2*j : y*rowStride+2*j+4]
			d0, d1, d2, d3 := r[0], r[1], r[2], r[3]
			db[y] = [4]float32{d0 - d2, d1 + d2, d2 - d1, d1 - d3}
		}
		o := dst[j : j+15*vStride+1]
		for x := 0; x < 4; x++ {
			b0, b1, b2, b3 := db[0][x], db[1][x], db[2][x], db[3][x]
			o[x*vStride] = b0 - b2
			o[(4+x)*vStride] = b1 + b2
			o[(8+x)*vStride] = b2 - b1
			o[(12+x)*vStride] = b1 - b3
		}
	}
}

func winogradOutput16Generic(m []float32, mStride int, top, bot []float32, bias float32) {
	winogradOutputCheck(m, mStride, top, bot)
	for j := 0; j < 16; j++ {
		q := m[j : j+15*mStride+1]
		var r0, r1 [4]float32
		for x := 0; x < 4; x++ {
			q4, q8 := q[(4+x)*mStride], q[(8+x)*mStride]
			r0[x] = q[x*mStride] + q4 + q8
			r1[x] = q4 - q8 - q[(12+x)*mStride]
		}
		top[2*j] = r0[0] + r0[1] + r0[2] + bias
		top[2*j+1] = r0[1] - r0[2] - r0[3] + bias
		bot[2*j] = r1[0] + r1[1] + r1[2] + bias
		bot[2*j+1] = r1[1] - r1[2] - r1[3] + bias
	}
}
