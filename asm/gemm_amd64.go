//go:build !purego

package asm

// GEMM micro-kernels for amd64. Both keep the whole MR×NR tile of C in
// vector registers for the k loop, so each k step costs NR/width vector
// loads of B and MR broadcasts of A for MR·NR/width FMAs:
//
//	avx2:    6×16, 12 Y accumulators (2 loads + 6 broadcasts per 12 FMAs)
//	avx512:  8×32, 16 Z accumulators (2 loads + 8 broadcasts per 16 FMAs)
//
// Each accumulator lane starts at zero and sums its products with FMAs in k
// order; the sum is added to C at the end, like gemmMicroGeneric.

const (
	gemmMRAVX2, gemmNRAVX2     = 6, 16
	gemmMRAVX512, gemmNRAVX512 = 8, 32
)

// setGemmAVX2 and setGemmAVX512 install the GEMM micro-kernels into an
// implementation; archKernels calls them.
func setGemmAVX2(k *Kernels) {
	k.GemmMR, k.GemmNR, k.GemmMicro = gemmMRAVX2, gemmNRAVX2, gemmMicroAVX2
	gemmPackers = append(gemmPackers, gemmPackArch{
		name: k.Name, nr: gemmNRAVX2, chunk: 8,
		f32: gemmPackT8F32AVX2, f16: gemmPackT8F16AVX2, bf16: gemmPackT8BF16AVX2,
		colsF16: gemmPackC16F16AVX2, colsBF16: gemmPackC16BF16AVX2,
	})
}

func setGemmAVX512(k *Kernels) {
	k.GemmMR, k.GemmNR, k.GemmMicro = gemmMRAVX512, gemmNRAVX512, gemmMicroAVX512
	winoVector, winoIn16, winoOut16, gemmSet = k.Name, winoIn16AVX512, winoOut16AVX512, gemm8x32SetAVX512
	gemmPackers = append(gemmPackers, gemmPackArch{
		name: k.Name, nr: gemmNRAVX512, chunk: 16,
		f32: gemmPackT16F32AVX512, f16: gemmPackT16F16AVX512, bf16: gemmPackT16BF16AVX512,
		colsF16: gemmPackC32F16AVX512, colsBF16: gemmPackC32BF16AVX512,
	})
}

func gemmMicroAVX2(k int, a, b, c []float32, ldc int) {
	gemmCheck(gemmMRAVX2, gemmNRAVX2, k, a, b, c, ldc)
	if k == 0 {
		return
	}
	gemm6x16AVX2(k, &a[0], &b[0], &c[0], ldc)
}

func gemmMicroAVX512(k int, a, b, c []float32, ldc int) {
	gemmCheck(gemmMRAVX512, gemmNRAVX512, k, a, b, c, ldc)
	if k == 0 {
		return
	}
	gemm8x32AVX512(k, &a[0], &b[0], &c[0], ldc)
}

// gemmCheck panics on slices too short for an mr×nr tile over k, so the
// assembly never reads or writes out of bounds.
func gemmCheck(mr, nr, k int, a, b, c []float32, ldc int) {
	if k < 0 || ldc < nr || len(a) < k*mr || len(b) < k*nr || len(c) < (mr-1)*ldc+nr {
		panic("asm: GemmMicro: slice too short for the tile")
	}
}

// k >= 1; a holds k*6 floats, b k*16, c rows of 16 at a stride of ldc floats.
//
//go:noescape
func gemm6x16AVX2(k int, a, b, c *float32, ldc int)

// k >= 1; a holds k*8 floats, b k*32, c rows of 32 at a stride of ldc floats.
//
//go:noescape
func gemm8x32AVX512(k int, a, b, c *float32, ldc int)

// gemm8x32SetAVX512 is gemm8x32AVX512 storing A·B over C instead of adding.
//
//go:noescape
func gemm8x32SetAVX512(k int, a, b, c *float32, ldc int)

// The transposing packers handle chunks (>= 1) of 16 k values of 32 rows
// (AVX-512) or 8 values of 16 rows (AVX2) at a stride of stride elements:
// dst[p*nr+j] = widen(src[j*stride+p]).
//
//go:noescape
func gemmPackT16F32AVX512(dst, src *float32, stride, chunks int)

//go:noescape
func gemmPackT16F16AVX512(dst *float32, src *uint16, stride, chunks int)

//go:noescape
func gemmPackT16BF16AVX512(dst *float32, src *uint16, stride, chunks int)

//go:noescape
func gemmPackT8F32AVX2(dst, src *float32, stride, chunks int)

//go:noescape
func gemmPackT8F16AVX2(dst *float32, src *uint16, stride, chunks int)

//go:noescape
func gemmPackT8BF16AVX2(dst *float32, src *uint16, stride, chunks int)

// Winograd transforms of 16 tiles (gemm_winograd.go); strides in floats.
//
//go:noescape
func winoIn16AVX512(src *float32, rowStride int, dst *float32, vStride int)

//go:noescape
func winoOut16AVX512(m *float32, mStride int, top, bot *float32, bias float32)

// Column-major panels (GemmPackColsF16): kc rows of one full panel width
// (16 for AVX2, 32 for AVX-512) widened from src[p*stride:], kc > 0.

//go:noescape
func gemmPackC16F16AVX2(dst *float32, src *uint16, stride, kc int)

//go:noescape
func gemmPackC16BF16AVX2(dst *float32, src *uint16, stride, kc int)

//go:noescape
func gemmPackC32F16AVX512(dst *float32, src *uint16, stride, kc int)

//go:noescape
func gemmPackC32BF16AVX512(dst *float32, src *uint16, stride, kc int)
