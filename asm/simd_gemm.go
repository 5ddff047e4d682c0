//go:build !purego && (amd64 || arm64)

package asm

// simdAsm's GEMM, packing and Winograd kernels. The tail strategy is the
// one of simd.go: the assembly packs whole chunks of full panels and the
// generic twin the rest of the panel (the last kc%chunk k values, or a
// partial panel).

func (s *simdAsm) gemmMicro(k int, a, b, c []float32, ldc int) {
	gemmCheck(s.gemmMR, s.gemmNR, k, a, b, c, ldc)
	if k == 0 {
		return
	}
	s.gemm(k, &a[0], &b[0], &c[0], ldc)
}

func (s *simdAsm) gemmMicroSet(k int, a, b, c []float32, ldc int) {
	gemmCheck(s.gemmMR, s.gemmNR, k, a, b, c, ldc)
	if k == 0 {
		for i := 0; i < s.gemmMR; i++ {
			clear(c[i*ldc : i*ldc+s.gemmNR])
		}
		return
	}
	s.gemmSet(k, &a[0], &b[0], &c[0], ldc)
}

// packRows runs a transposing packer over the whole chunks of a full panel
// and packRowsGo over the rest.
func packRows[T uint16 | float32](s *simdAsm, kernel func(dst *float32, src *T, stride, chunks int), widen func(T) float32,
	dst []float32, src []T, stride, rows, kc, nr int) {
	gemmPackCheck(len(dst), len(src), stride, rows, kc, nr)
	done := 0
	if nr == s.gemmNR && rows == nr && kc >= s.packChunk {
		done = kc - kc%s.packChunk
		kernel(&dst[0], &src[0], stride, done/s.packChunk)
	}
	packRowsGo(dst, src, stride, rows, done, kc, nr, widen)
}

func (s *simdAsm) gemmPackF32(dst, src []float32, stride, rows, kc, nr int) {
	gemmPackCheck(len(dst), len(src), stride, rows, kc, nr)
	done := 0
	if nr == s.gemmNR && rows == nr && kc >= s.packChunk {
		done = kc - kc%s.packChunk
		s.packF32(&dst[0], &src[0], stride, done/s.packChunk)
	}
	packRowsF32Go(dst, src, stride, rows, done, kc, nr)
}

func (s *simdAsm) gemmPackF16(dst []float32, src []uint16, stride, rows, kc, nr int) {
	packRows(s, s.packF16, F16, dst, src, stride, rows, kc, nr)
}

func (s *simdAsm) gemmPackBF16(dst []float32, src []uint16, stride, rows, kc, nr int) {
	packRows(s, s.packBF16, BF16, dst, src, stride, rows, kc, nr)
}

// packCols runs a column-major packer over a full panel (one call for all kc
// rows); a partial panel, or a path without one, widens row by row with the
// path's own conversion kernel.
func (s *simdAsm) packCols(kernel func(dst *float32, src *uint16, stride, kc int), widen func(dst []float32, src []uint16),
	dst []float32, src []uint16, stride, n, kc, nr int) {
	gemmPackColsCheck(len(dst), len(src), stride, n, kc, nr)
	if kernel != nil && nr == s.gemmNR && n == nr && kc > 0 {
		kernel(&dst[0], &src[0], stride, kc)
		return
	}
	packColsWiden(dst, src, stride, n, kc, nr, widen)
}

func (s *simdAsm) gemmPackColsF16(dst []float32, src []uint16, stride, n, kc, nr int) {
	s.packCols(s.packColsF16, s.f16ToF32Slices, dst, src, stride, n, kc, nr)
}

func (s *simdAsm) gemmPackColsBF16(dst []float32, src []uint16, stride, n, kc, nr int) {
	s.packCols(s.packColsBF16, s.bf16ToF32Slices, dst, src, stride, n, kc, nr)
}

func (s *simdAsm) winogradInput16(src []float32, rowStride int, dst []float32, vStride int) {
	winogradInputCheck(src, rowStride, dst, vStride)
	s.winoIn16(&src[0], rowStride, &dst[0], vStride)
}

func (s *simdAsm) winogradOutput16(m []float32, mStride int, top, bot []float32, bias float32) {
	winogradOutputCheck(m, mStride, top, bot)
	s.winoOut16(&m[0], mStride, &top[0], &bot[0], bias)
}
