package asm

// The GEMM micro-kernel's contract and panel packing.
//
// B panels are weight rows stored k-wise (PyTorch Linear layout) that the
// micro-kernel wants k-major, so packing is a transpose fused with the
// f16/bf16 widening. It touches every weight once per GEMM call, so a scalar
// loop costs as much as the arithmetic for ~100 activation rows; the amd64
// paths load a square of rows, widen and transpose it in registers (16×16
// for AVX-512, 8×8 for AVX2; see gemmpack_amd64.s), several times faster.
// Packing only moves and widens values, so every path produces the same bits.

// gemmCheck panics on slices too short for an mr×nr tile over k, so the
// assembly never reads or writes out of bounds.
func gemmCheck(mr, nr, k int, a, b, c []float32, ldc int) {
	if k < 0 || ldc < nr || len(a) < k*mr || len(b) < k*nr || len(c) < (mr-1)*ldc+nr {
		panic("asm: GemmMicro: slice too short for the tile")
	}
}

// GemmMicroSet is Kernels.GemmMicroSet of the active implementation: C = A·B
// over the tile, whatever C held.
func GemmMicroSet(k int, a, b, c []float32, ldc int) {
	active.GemmMicroSet(k, a, b, c, ldc)
}

// gemmMicroSetByClear is GemmMicroSet for a path without a storing
// micro-kernel: clear the tile, then add A·B to it.
func gemmMicroSetByClear(mr, nr int, micro func(k int, a, b, c []float32, ldc int)) func(k int, a, b, c []float32, ldc int) {
	return func(k int, a, b, c []float32, ldc int) {
		gemmCheck(mr, nr, k, a, b, c, ldc)
		for i := 0; i < mr; i++ {
			clear(c[i*ldc : i*ldc+nr])
		}
		micro(k, a, b, c, ldc)
	}
}

// gemmPackCheck panics when the slices cannot hold the panel.
func gemmPackCheck(dstLen, srcLen, stride, rows, kc, nr int) {
	if rows < 0 || kc < 0 || rows > nr || (rows > 1 && stride < kc) || dstLen < kc*nr ||
		(rows > 0 && kc > 0 && srcLen < (rows-1)*stride+kc) {
		panic("asm: GemmPack: slice too short for the panel")
	}
}

func gemmPackColsCheck(dstLen, srcLen, stride, n, kc, nr int) {
	if n < 0 || kc < 0 || n > nr || (kc > 1 && stride < n) || dstLen < kc*nr ||
		(n > 0 && kc > 0 && srcLen < (kc-1)*stride+n) {
		panic("asm: GemmPackCols: slice too short for the panel")
	}
}

// GemmPackF32 packs rows (<= nr) rows of src, row j at src[j*stride:], k
// values each, into one k-major panel for the micro-kernel:
// dst[p*nr+j] = src[j*stride+p] for p < kc, j < rows, and 0 for
// rows <= j < nr.
func GemmPackF32(dst, src []float32, stride, rows, kc, nr int) {
	gemmPackCheck(len(dst), len(src), stride, rows, kc, nr)
	active.GemmPackF32(dst, src, stride, rows, kc, nr)
}

// GemmPackF16 is GemmPackF32 for f16 rows, widened exactly.
func GemmPackF16(dst []float32, src []uint16, stride, rows, kc, nr int) {
	gemmPackCheck(len(dst), len(src), stride, rows, kc, nr)
	active.GemmPackF16(dst, src, stride, rows, kc, nr)
}

// GemmPackBF16 is GemmPackF32 for bf16 rows, widened exactly.
func GemmPackBF16(dst []float32, src []uint16, stride, rows, kc, nr int) {
	gemmPackCheck(len(dst), len(src), stride, rows, kc, nr)
	active.GemmPackBF16(dst, src, stride, rows, kc, nr)
}

// GemmPackColsF16 packs a panel of a column-major weight matrix, where the
// panel's lanes are contiguous and its k values are rows: dst[p*nr+j] =
// widen(src[p*stride+j]) for p < kc, j < n, and 0 for n <= j < nr. No
// transpose, so it is a strided widening copy.
func GemmPackColsF16(dst []float32, src []uint16, stride, n, kc, nr int) {
	gemmPackColsCheck(len(dst), len(src), stride, n, kc, nr)
	active.GemmPackColsF16(dst, src, stride, n, kc, nr)
}

// GemmPackColsBF16 is GemmPackColsF16 for bf16 weights.
func GemmPackColsBF16(dst []float32, src []uint16, stride, n, kc, nr int) {
	gemmPackColsCheck(len(dst), len(src), stride, n, kc, nr)
	active.GemmPackColsBF16(dst, src, stride, n, kc, nr)
}

// GemmPackColsF32 is GemmPackColsF16 for f32 weights.
func GemmPackColsF32(dst, src []float32, stride, n, kc, nr int) {
	gemmPackColsCheck(len(dst), len(src), stride, n, kc, nr)
	active.GemmPackColsF32(dst, src, stride, n, kc, nr)
}

// The generic packers. The from argument of packRowsGo lets an assembly
// packer do the first k values of a panel and Go the rest (simd.go).

func gemmPackF32Generic(dst, src []float32, stride, rows, kc, nr int) {
	packRowsF32Go(dst, src, stride, rows, 0, kc, nr)
}

func gemmPackF16Generic(dst []float32, src []uint16, stride, rows, kc, nr int) {
	packRowsGo(dst, src, stride, rows, 0, kc, nr, F16)
}

func gemmPackBF16Generic(dst []float32, src []uint16, stride, rows, kc, nr int) {
	packRowsGo(dst, src, stride, rows, 0, kc, nr, BF16)
}

func gemmPackColsF32Generic(dst, src []float32, stride, n, kc, nr int) {
	for p := 0; p < kc; p++ {
		copy(dst[p*nr:p*nr+n], src[p*stride:p*stride+n])
		clear(dst[p*nr+n : (p+1)*nr])
	}
}

func gemmPackColsF16Generic(dst []float32, src []uint16, stride, n, kc, nr int) {
	packColsWiden(dst, src, stride, n, kc, nr, f16ToF32Generic)
}

func gemmPackColsBF16Generic(dst []float32, src []uint16, stride, n, kc, nr int) {
	packColsWiden(dst, src, stride, n, kc, nr, bf16ToF32Generic)
}

// packRowsGo packs k values [from, kc) of rows rows in Go, one row at a time
// so the writes stride through dst but the reads stay sequential.
func packRowsGo[T uint16 | float32](dst []float32, src []T, stride, rows, from, kc, nr int, widen func(T) float32) {
	for j := 0; j < nr; j++ {
		at := from*nr + j
		if j >= rows {
			for p := from; p < kc; p++ {
				dst[at] = 0
				at += nr
			}
			continue
		}
		for _, h := range src[j*stride+from : j*stride+kc] {
			dst[at] = widen(h)
			at += nr
		}
	}
}

// packRowsF32Go is packRowsGo for f32 rows: no widening call per value
// (activations, packed at every GEMM, spend a tenth of a prefill here).
func packRowsF32Go(dst, src []float32, stride, rows, from, kc, nr int) {
	for j := 0; j < nr; j++ {
		at := from*nr + j
		if j >= rows {
			for p := from; p < kc; p++ {
				dst[at] = 0
				at += nr
			}
			continue
		}
		row := src[j*stride+from : j*stride+kc]
		if len(row) == 0 {
			continue
		}
		out := dst[at : at+(len(row)-1)*nr+1]
		for p, v := range row {
			out[p*nr] = v
		}
	}
}

// packColsWiden packs a column-major panel one k at a time with a path's
// widening kernel (a whole row of n values per call), exact on every path.
func packColsWiden(dst []float32, src []uint16, stride, n, kc, nr int, widen func(dst []float32, src []uint16)) {
	for p := 0; p < kc; p++ {
		widen(dst[p*nr:p*nr+n], src[p*stride:p*stride+n])
		clear(dst[p*nr+n : (p+1)*nr])
	}
}
