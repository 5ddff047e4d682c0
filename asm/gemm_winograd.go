package asm

// Vector versions of the Winograd F(2×2, 3×3) tile transforms of
// ops.Conv2D, for 16 consecutive tiles of one tile row at a time. They exist
// for AVX-512 only; elsewhere the functions return false and ops transforms
// in Go. They use the same additions in the same order as the Go loops, so
// both give the same bits.

// winoVector names the implementation with vector transforms; winoIn16 and
// winoOut16 are its kernels (installed by setGemmAVX512).
var (
	winoVector string
	winoIn16   func(src *float32, rowStride int, dst *float32, vStride int)
	winoOut16  func(m *float32, mStride int, top, bot *float32, bias float32)
	gemmSet    func(k int, a, b, c *float32, ldc int)
)

// GemmMicroSet is Kernels.GemmMicro storing the tile's A·B over C instead of
// adding it (C = A·B, as GemmMicro on a zeroed C gives), so a first k block
// needs no cleared C; k >= 1. It returns false, doing nothing, when the active
// implementation has no such kernel; the caller then clears C and calls
// GemmMicro.
func GemmMicroSet(k int, a, b, c []float32, ldc int) bool {
	if gemmSet == nil || active.Name != winoVector {
		return false
	}
	mr, nr := active.GemmMR, active.GemmNR
	if k <= 0 || ldc < nr || len(a) < k*mr || len(b) < k*nr || len(c) < (mr-1)*ldc+nr {
		panic("asm: GemmMicroSet: slice too short for the tile")
	}
	gemmSet(k, &a[0], &b[0], &c[0], ldc)
	return true
}

// WinogradInput16 transforms the 4×4 input patches of 16 tiles whose left
// edges are 2 pixels apart: patch j is src[y*rowStride + 2j + x] for
// y, x < 4. With rows y of d·B first, d·B[y] = (d0-d2, d1+d2, d2-d1,
// d1-d3), then columns the same way, V[4y'+x] of tile j is written to
// dst[(4y'+x)*vStride + j]. It reads 34 values of each of the 4 rows.
// It returns false, doing nothing, when the active implementation has no
// vector version.
func WinogradInput16(src []float32, rowStride int, dst []float32, vStride int) bool {
	if winoIn16 == nil || active.Name != winoVector {
		return false
	}
	if rowStride < 34 || vStride < 16 || len(src) < 3*rowStride+34 || len(dst) < 15*vStride+16 {
		panic("asm: WinogradInput16: slice too short for 16 tiles")
	}
	winoIn16(&src[0], rowStride, &dst[0], vStride)
	return true
}

// WinogradOutput16 transforms the products of 16 tiles, M[ξ] of tile j at
// m[ξ*mStride + j], into their 2×2 outputs plus bias: with r0 = M0+M4+M8
// and r1 = M4-M8-M12 per column x, top[2j] = r0[0]+r0[1]+r0[2]+bias,
// top[2j+1] = r0[1]-r0[2]-r0[3]+bias, and bot likewise from r1. It returns
// false, doing nothing, when the active implementation has no vector
// version.
func WinogradOutput16(m []float32, mStride int, top, bot []float32, bias float32) bool {
	if winoOut16 == nil || active.Name != winoVector {
		return false
	}
	if mStride < 16 || len(m) < 15*mStride+16 || len(top) < 32 || len(bot) < 32 {
		panic("asm: WinogradOutput16: slice too short for 16 tiles")
	}
	winoOut16(&m[0], mStride, &top[0], &bot[0], bias)
	return true
}
